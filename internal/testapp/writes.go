package testapp

import (
	"fmt"
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
	last         atomic.Pointer[string] // the table and id of the last write
}

// WatchWrites starts counting app's writes.
func WatchWrites(app core.App) *WriteWatch {
	w := &WriteWatch{}
	count := func(e *core.ModelEvent) error {
		what := e.Model.TableName() + "/" + fmt.Sprint(e.Model.PK())
		w.last.Store(&what)
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

// Last names the last write seen (table/id), for a failure message: a write
// that came from the background rather than the request says so by what it
// wrote.
func (w *WriteWatch) Last() string {
	if p := w.last.Load(); p != nil {
		return *p
	}
	return ""
}
