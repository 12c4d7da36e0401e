package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Free time (availability − lessons − time off − closures) is derived once
// and kept in memory (freetime/). free_time_version is its one-row
// counter: SQLite triggers bump it in the same transaction as every
// insert, update or delete of the rows free time is made of (and of the
// teachers, instruments and settings the public answers name), so a write
// that rolls back leaves it alone, and writes that bypass PocketBase's
// hooks (raw SQL, another process on the same data dir) still move it. The
// cache serves an answer only for the version it was derived at.
// Keep in step with freetime.watched (the cache checks the triggers exist).
var freeTimeSources = []string{"lessons", "availability", "time_off", "closures", "teachers", "instruments", "academy"}

func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery("CREATE TABLE IF NOT EXISTS free_time_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)").Execute(); err != nil {
			return err
		}
		if _, err := app.DB().NewQuery("INSERT OR IGNORE INTO free_time_version (id, version) VALUES (1, 0)").Execute(); err != nil {
			return err
		}
		for _, table := range freeTimeSources {
			for _, op := range []string{"insert", "update", "delete"} {
				q := "CREATE TRIGGER IF NOT EXISTS free_time_" + table + "_" + op + " AFTER " + op + " ON `" + table +
					"` BEGIN UPDATE free_time_version SET version = version + 1 WHERE id = 1; END"
				if _, err := app.DB().NewQuery(q).Execute(); err != nil {
					return err
				}
			}
		}
		return nil
	}, func(app core.App) error {
		for _, table := range freeTimeSources {
			for _, op := range []string{"insert", "update", "delete"} {
				if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS free_time_" + table + "_" + op).Execute(); err != nil {
					return err
				}
			}
		}
		_, err := app.DB().NewQuery("DROP TABLE IF EXISTS free_time_version").Execute()
		return err
	})
}
