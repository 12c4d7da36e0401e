package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Card disputes (billing/disputes.go): a payment can be "disputed", the
// ledger records the amount a bank takes back as a "chargeback", and the
// admins get "dispute" notices.
func init() {
	additions := []struct{ collection, field, value string }{
		{"payments", "status", "disputed"},
		{"ledger_entries", "kind", "chargeback"},
		{"billing_notices", "kind", "dispute"},
	}
	m.Register(func(app core.App) error {
		for _, a := range additions {
			if err := editSelect(app, a.collection, a.field, func(v []string) []string {
				if slices.Contains(v, a.value) {
					return v
				}
				return append(v, a.value)
			}); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, a := range additions {
			if err := editSelect(app, a.collection, a.field, func(v []string) []string {
				return slices.DeleteFunc(v, func(s string) bool { return s == a.value })
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

func editSelect(app core.App, collection, field string, edit func([]string) []string) error {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	f, ok := c.Fields.GetByName(field).(*core.SelectField)
	if !ok {
		return nil
	}
	f.Values = edit(f.Values)
	return app.Save(c)
}
