package lessons

import (
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// statements.go keeps the conflict check's statements prepared. SQLite
// (modernc) parses a statement on every plain query; for the check's
// small index lookups that parse was a third of the work (10x data,
// in process), and each parse also takes the driver's global allocator
// lock, which concurrent requests queue on. Outside a transaction a query
// takes a prepared copy from a short free list (database/sql prepares it
// once on each connection it runs on); inside one it runs plainly on the
// transaction's connection.

const (
	// keptPerStatement bounds the prepared copies kept of one statement:
	// about the requests that run it at once.
	keptPerStatement = 16
	// preparedStoreKey is where an app keeps its free lists (app.Store()
	// lives and dies with the app and its database).
	preparedStoreKey = "cedarheights.lessons.prepared"
)

// preparedQueries maps a statement's SQL to its free list.
type preparedQueries struct{ lists sync.Map }

// maxKeptTeachers: statements for more teachers than this (the free-time
// derivations, a few a minute) run plainly, so the texts kept stay few.
const maxKeptTeachers = 4

// queryAll runs sql (dbx placeholders and quoting) with params into dest,
// prepared and kept when keep is set. Every call with the same sql must
// bind the same parameter names.
func queryAll(app core.App, sql string, params dbx.Params, dest any, keep bool) error {
	if !keep || app.IsTransactional() {
		return app.DB().NewQuery(sql).Bind(params).All(dest)
	}
	// A read outside a transaction: app.DB() sends it to the concurrent
	// pool, which is where it is prepared.
	db, ok := app.ConcurrentDB().(*dbx.DB)
	if !ok {
		return app.DB().NewQuery(sql).Bind(params).All(dest)
	}
	kept := app.Store().GetOrSet(preparedStoreKey, func() any { return &preparedQueries{} }).(*preparedQueries)
	v, _ := kept.lists.LoadOrStore(sql, make(chan *dbx.Query, keptPerStatement))
	free := v.(chan *dbx.Query)
	var q *dbx.Query
	select {
	case q = <-free:
	default:
		q = db.NewQuery(sql).Prepare()
	}
	err := q.Bind(params).All(dest)
	if err != nil {
		q.Close() // a failed statement is not kept
		return err
	}
	select {
	case free <- q:
	default:
		q.Close()
	}
	return nil
}
