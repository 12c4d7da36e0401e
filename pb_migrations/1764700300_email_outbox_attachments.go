package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The outbox carries attachments (a lesson's .ics invite) and says why a
// message was given up: a permanent SMTP refusal or too long undelivered
// (workflows/outbox_policy.go). Attachments are stored as
// [{"name": "lesson.ics", "content_base64": "..."}].
func init() {
	m.Register(func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId(idEmailOutbox)
		if err != nil {
			return err
		}
		outbox.Fields.Add(
			&core.JSONField{Name: "attachments", MaxSize: 2 << 20, Help: "files sent with the message, set by the server"},
			&core.TextField{Name: "failed_reason", Max: 5000, Help: "why the message was given up, set by the server"},
		)
		return app.Save(outbox)
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId(idEmailOutbox)
		if err != nil {
			return err
		}
		outbox.Fields.RemoveByName("attachments")
		outbox.Fields.RemoveByName("failed_reason")
		return app.Save(outbox)
	})
}
