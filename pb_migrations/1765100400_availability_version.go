package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The teachers list with ?availability=1 keeps each teacher's windows
// encoded (hooks/peopleapi/window_cache.go): windows change a few times a
// term, and decoding and encoding four records a teacher on every request
// held that list at 0.60× the built-in list (issue 14). availability_version
// is the cache's one-row counter, bumped by SQLite triggers in the same
// transaction as every insert, update or delete of a window, whoever writes
// it (the route, the record API, raw SQL, another process): an encoding is
// served only for the version it was made at. (free_time_version would do,
// but every booking bumps it.)
func init() {
	m.Register(func(app core.App) error {
		for _, q := range []string{
			"CREATE TABLE IF NOT EXISTS availability_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
			"INSERT OR IGNORE INTO availability_version (id, version) VALUES (1, 0)",
		} {
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		for _, op := range []string{"insert", "update", "delete"} {
			q := "CREATE TRIGGER IF NOT EXISTS availability_version_" + op + " AFTER " + op +
				" ON `availability` BEGIN UPDATE availability_version SET version = version + 1 WHERE id = 1; END"
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, op := range []string{"insert", "update", "delete"} {
			if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS availability_version_" + op).Execute(); err != nil {
				return err
			}
		}
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS availability_version").Execute()
		return err
	})
}
