package testapp

import (
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
)

// WriteWatch counts the writes committed through app's model layer (a
// record, collection or other model created, updated or deleted), which is
// how the routes and PocketBase's record API write. Tests that share one
// app among requests that must change nothing use it to prove they did
// not. It does not see raw SQL: the workflow engine's own bookkeeping (its
// schedules and leases, written in the background at any time) is not a
// request's write.
type WriteWatch struct {
	writes, seen atomic.Int64
}

// WatchWrites starts counting app's writes.
func WatchWrites(app core.App) *WriteWatch {
	w := &WriteWatch{}
	count := func(e *core.ModelEvent) error {
		w.writes.Add(1)
		return e.Next()
	}
	app.OnModelAfterCreateSuccess().BindFunc(count)
	app.OnModelAfterUpdateSuccess().BindFunc(count)
	app.OnModelAfterDeleteSuccess().BindFunc(count)
	return w
}

// Changed reports whether anything was written since the last call (or
// since the watch began).
func (w *WriteWatch) Changed() bool {
	n := w.writes.Load()
	return w.seen.Swap(n) != n
}
