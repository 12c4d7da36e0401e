package freetime

import (
	"cedarheights/records"

	"github.com/pocketbase/pocketbase/core"
)

// watched are the tables whose triggers bump the counter (the migration
// 1764900000_free_time_version creates them): the rows free time is made
// of, and the teachers, instruments and settings the answers name.
var watched = []string{"lessons", "availability", "time_off", "closures", "teachers", "instruments", "academy"}

// version reads the counter the free-time triggers bump (see doc.go).
func version(app core.App) (int64, error) {
	var v int64
	err := app.DB().NewQuery("SELECT version FROM free_time_version WHERE id = 1").Row(&v)
	return v, err
}

// Active reports whether the cache may answer: it exists and every table
// it relies on still has its three triggers (a table rebuilt by a later
// migration would lose them, and the counter would stop moving). Checked
// once per app; without them every answer is derived afresh.
func (c *Cache) Active(app core.App) bool {
	if c == nil {
		return false
	}
	c.checkOnce.Do(func() {
		var want []string
		for _, table := range watched {
			for _, op := range []string{"insert", "update", "delete"} {
				want = append(want, "free_time_"+table+"_"+op)
			}
		}
		missing, err := records.MissingTriggers(app, want...)
		switch {
		case err != nil:
			app.Logger().Error("free time: cannot list the triggers; answers are derived afresh", "error", err)
		case len(missing) > 0:
			app.Logger().Error("free time: triggers are missing; answers are derived afresh", "missing", missing)
		default:
			c.active = true
		}
	})
	return c.active
}
