package freetime

import "github.com/pocketbase/pocketbase/core"

// version reads the counter the free-time triggers bump (see doc.go).
func version(app core.App) (int64, error) {
	var v int64
	err := app.DB().NewQuery("SELECT version FROM free_time_version WHERE id = 1").Row(&v)
	return v, err
}
