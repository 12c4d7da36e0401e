package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/records"
)

// refuseBadRecordIds answers a record-API or batch create whose `id` is not a
// record id with a 400 naming it, before PocketBase saves anything.
// PocketBase v0.39.11 validates the id but, when the create fails, its file
// fields remove the record's upload folder, built from that id: "../.."
// walked out of the storage folder and panicked there (a 500 for a
// superuser's create, found by the HTTP fuzz driver), and a deeper one would
// point its delete outside it. Only superusers may set ids on our
// collections, so no one else meets this.
func refuseBadRecordIds(app core.App) {
	app.OnRecordCreateRequest().BindFunc(func(e *core.RecordRequestEvent) error {
		if id := e.Record.Id; id != "" && !records.IDPattern.MatchString(id) {
			return e.BadRequestError("Failed to create record.", validation.Errors{
				"id": validation.NewError("validation_invalid_id", "Must be a record id (letters, digits and _)."),
			})
		}
		return e.Next()
	})
}
