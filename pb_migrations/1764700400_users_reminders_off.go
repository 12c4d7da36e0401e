package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A user can turn lesson reminders off. The field says "off" so that its
// zero value, which every existing and new account gets, means reminders
// stay on. The users UpdateRule already lets a user change its own fields
// except the role, so a parent (or teacher) sets it on itself with a plain
// PATCH of its users record; notify/lesson_reminders.go reads it.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.Add(&core.BoolField{Name: "reminders_off", Help: "no lesson reminder mail the day before"})
		return app.Save(users)
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.RemoveByName("reminders_off")
		return app.Save(users)
	})
}
