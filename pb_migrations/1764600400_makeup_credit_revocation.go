package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A make-up credit taken back (its cancelled lesson was reinstated) stays on
// record, marked revoked with the reason, instead of vanishing: the family
// and the office see that it was granted and why it is gone.
func init() {
	m.Register(func(app core.App) error {
		credits, err := app.FindCollectionByNameOrId(idMakeupCredits)
		if err != nil {
			return err
		}
		credits.Fields.Add(
			&core.DateField{Name: "revoked_at", Help: "set by the server when the lesson is reinstated"},
			&core.TextField{Name: "revoked_reason", Max: 500, Help: "why the credit was taken back, set by the server"},
		)
		return app.Save(credits)
	}, func(app core.App) error {
		credits, err := app.FindCollectionByNameOrId(idMakeupCredits)
		if err != nil {
			return err
		}
		credits.Fields.RemoveByName("revoked_at")
		credits.Fields.RemoveByName("revoked_reason")
		return app.Save(credits)
	})
}
