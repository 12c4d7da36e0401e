package enrollment

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// Workflows registers the enrollment workflow (its waits from the
// environment, see Config) and the admin's cancellation on reg.
func Workflows(reg *workflows.Registry) error {
	return reg.Register(define(ConfigFromEnv()), Cancellation)
}

// Register binds the record hooks that signal the runs' waits: a parent's
// e-mail confirmation and an enrollment's payment setup ending (active, or
// the card's setup failed at Stripe). The wiring calls it.
func Register(app core.App) {
	app.OnRecordUpdate("users").BindFunc(signalVerified)
	app.OnRecordUpdate("enrollments").BindFunc(signalPaid)
}

func dbxRole(role string) dbx.Expression { return dbx.HashExp{"role": role} }
