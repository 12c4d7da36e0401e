package enrollmentsapi

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/enrollment"
	"cedarheights/hooks"
)

// enrollments_public.go: POST /api/v1/public/enrollments, a new family
// enrolls from the public site: parent {name, email, phone, password?},
// student, plan, and a trial slot from /api/v1/public/timeslots or
// match_me. Anonymous and rate limited (pb_migrations: 5 per 5 minutes per
// IP). The account is made unconfirmed; the run waits for the e-mail
// confirmation before anything is final, so the answer is a 202 with the
// run's id. With a password the parent can sign in at once and follow the
// run over realtime. The answer carries no account data.
//
// Honeypot: the form's hidden "website" field must stay empty. A bot that
// fills it gets a 202 that looks like any other and nothing is done, so it
// learns nothing to adapt to.

func StartPublicEnrollment(e *core.RequestEvent) error {
	var body enrollmentBody
	if err := hooks.ReadInto(e, &body); err != nil {
		return err
	}
	if body.Website != "" {
		return e.JSON(http.StatusAccepted, map[string]any{"run": core.GenerateDefaultRandomId(), "status": "pending"})
	}
	body.Parent.ID = "" // a new family: signed-in parents use /api/v1/enrollments
	body.Teacher = ""
	return startEnrollmentRun(e, body.input(enrollment.SourcePublic), body.Parent.Password, true)
}
