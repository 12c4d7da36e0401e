package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// relationIndexes are the relation fields that had no index. The query
// guard (hooks/query_cost.go) lets a client's back-relation run only on an
// indexed field, and the rules and lists that join through these fields
// should not scan their table either.
var relationIndexes = []struct{ collection, field string }{
	{"makeup_credits", "used_by"},
	{"lessons", "instrument"},
	{"enrollments", "plan"},
	{"ledger_entries", "enrollment"},
	{"calendar_feeds", "teacher"},
	{"billing_notices", "recipient"},
	{"billing_notices", "payment"},
}

func relationIndexName(collection, field string) string {
	return "idx_" + collection + "_" + field
}

func init() {
	m.Register(func(app core.App) error {
		for _, ix := range relationIndexes {
			c, err := app.FindCollectionByNameOrId(ix.collection)
			if err != nil {
				return err
			}
			name := relationIndexName(ix.collection, ix.field)
			if c.GetIndex(name) == "" {
				c.AddIndex(name, false, "`"+ix.field+"`", "")
			}
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, ix := range relationIndexes {
			c, err := app.FindCollectionByNameOrId(ix.collection)
			if err != nil {
				return err
			}
			c.RemoveIndex(relationIndexName(ix.collection, ix.field))
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	})
}
