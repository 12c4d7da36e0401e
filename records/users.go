package records

import "github.com/pocketbase/pocketbase/core"

// defaultRole is what self sign-up yields. The users CreateRule already
// refuses any other role in a non-admin body; this fills the blank one, for
// every write path, before validation.
const defaultRole = "parent"

func bindUsers(app core.App) {
	app.OnRecordCreate("users").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("role") == "" {
			e.Record.Set("role", defaultRole)
		}
		return e.Next()
	})
}
