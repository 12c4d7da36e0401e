package workflows

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// stmts.go: the checkpoint's statements run as prepared statements on the
// transaction's own *sql.Tx. Compiling an UPDATE of workflow_runs (23
// columns, 9 indexes) or an INSERT into workflow_steps costs SQLite more
// than running it, and dbx's placeholder rewriting adds to that; a
// checkpoint repeats the same few statements, so each is compiled once.
//
// database/sql prepares a statement on a connection, and PocketBase's
// writer pool has a single one: inside a transaction it is taken, so a
// statement first seen there runs unprepared and is prepared before the
// next batch opens its transaction (prepareWanted).

// maxStmts bounds the cache (the UPDATE's text depends on which columns
// changed; a handful of combinations occur).
const maxStmts = 64

type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	want   []string
	closed bool
}

func newStmtCache(app core.App) *stmtCache {
	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return nil
	}
	return &stmtCache{db: db.DB(), m: map[string]*sql.Stmt{}}
}

// prepared returns the statement for query, or nil (and notes it to be
// prepared outside the transaction).
func (c *stmtCache) prepared(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[query]; ok || c.closed {
		return s
	}
	if len(c.m)+len(c.want) < maxStmts && !slices.Contains(c.want, query) {
		c.want = append(c.want, query)
	}
	return nil
}

// prepareWanted prepares the statements asked for since the last call.
// Never call it inside a transaction on the app's writer: it needs the
// writer's connection.
func (c *stmtCache) prepareWanted() {
	if c == nil {
		return
	}
	c.mu.Lock()
	want := c.want
	c.want = nil
	c.mu.Unlock()
	for _, q := range want {
		s, err := c.db.Prepare(q)
		if err != nil {
			continue // runs unprepared
		}
		c.mu.Lock()
		if c.closed {
			s.Close()
		} else {
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A statement taken just before is still usable: database/sql
	// prepares a closed one anew on the transaction's connection.
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
	c.want = nil
	c.closed = true
}

// statements is the engine's cache while the app's database is the one it
// was prepared on (nil otherwise, or without an engine).
func (e *Engine) statements() *stmtCache {
	if e == nil {
		return nil
	}
	c := e.stmts.Load()
	if c == nil {
		return nil
	}
	if db, ok := e.app.NonconcurrentDB().(*dbx.DB); !ok || db.DB() != c.db {
		return nil
	}
	return c
}

// sqlTx is the *sql.Tx under a PocketBase transaction's app, nil when
// txApp is not in one.
func sqlTx(txApp core.App) *sql.Tx {
	tx, ok := txApp.NonconcurrentDB().(*dbx.Tx)
	if !ok {
		return nil
	}
	b, ok := tx.Builder.(interface{ Executor() dbx.Executor })
	if !ok {
		return nil
	}
	stx, _ := b.Executor().(*sql.Tx)
	return stx
}

// execSQL runs query (with ? placeholders) in txApp's transaction, as a
// statement of c (nil: compiled each time).
func execSQL(c *stmtCache, txApp core.App, query string, args ...any) (sql.Result, error) {
	stx := sqlTx(txApp)
	if stx == nil {
		// Not in a transaction, or dbx keeps its *sql.Tx out of reach:
		// through dbx, its placeholders named.
		var b strings.Builder
		params := dbx.Params{}
		n := 0
		for _, part := range strings.SplitAfter(query, "?") {
			if strings.HasSuffix(part, "?") && n < len(args) {
				name := "p" + strconv.Itoa(n)
				b.WriteString(part[:len(part)-1] + "{:" + name + "}")
				params[name] = args[n]
				n++
				continue
			}
			b.WriteString(part)
		}
		return txApp.NonconcurrentDB().NewQuery(b.String()).Bind(params).Execute()
	}
	if s := c.prepared(query); s != nil {
		return stx.StmtContext(context.Background(), s).Exec(args...)
	}
	return stx.Exec(query, args...)
}
