package hooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// QueryDeadlineEnv sets how long one request's record queries may run (a Go
// duration such as "5s"; "off" turns the deadline off). Default
// defaultQueryDeadline.
const QueryDeadlineEnv = "ACADEMY_QUERY_DEADLINE"

const defaultQueryDeadline = 5 * time.Second

const (
	queryDeadlineMiddlewareId = "academyQueryDeadline"
	// After PocketBase's own middlewares (auth loaded), before the handler.
	queryDeadlinePriority = 10
)

// Why a wrapper: PocketBase v0.39.11 runs the record API's queries (list
// with the client's filter and sort, its count, view, expand) without the
// request's context; each gets its own 30 s timeout (core.DefaultQueryTimeout)
// and keeps SQLite busy after the client gave up. recordsList builds its
// query with e.App.RecordQuery, recordView with e.App.FindRecordById, expand
// with e.App.FindRecordsByIds, all called on the request's e.App. Swapping
// e.App for this wrapper hands those queries a context that ends with the
// request or at the deadline. query_deadline_test.go and
// api_query_limits_test.go pin each of these so an upgrade that changes
// them fails loudly.
//
// What the context can stop (modernc.org/sqlite v1.55.0): the driver
// interrupts SQLite while a statement computes its first row (a COUNT, a
// sort, a filter before its first match), and database/sql stops reading
// between rows; a statement that grinds between two rows (DISTINCT over a
// fan-out join) runs to its end. Back-relation expands look ids up with
// queries of their own that take no context. Both stay reachable only to
// superusers: the cost guard refuses those shapes to everyone else.
type deadlineApp struct {
	core.App
	ctx context.Context
}

// withContext gives q the request's context unless it already has one
// (RecordQuery sets a cancelled one to carry a lookup error).
func (a deadlineApp) withContext(q *dbx.SelectQuery) error {
	if q.Context() == nil {
		q.WithContext(a.ctx)
	}
	return nil
}

func (a deadlineApp) RecordQuery(collectionModelOrIdentifier any) *dbx.SelectQuery {
	q := a.App.RecordQuery(collectionModelOrIdentifier)
	a.withContext(q)
	return q
}

func (a deadlineApp) FindRecordById(collectionModelOrIdentifier any, recordId string, optFilters ...func(q *dbx.SelectQuery) error) (*core.Record, error) {
	return a.App.FindRecordById(collectionModelOrIdentifier, recordId, append(optFilters, a.withContext)...)
}

func (a deadlineApp) FindRecordsByIds(collectionModelOrIdentifier any, recordIds []string, optFilters ...func(q *dbx.SelectQuery) error) ([]*core.Record, error) {
	return a.App.FindRecordsByIds(collectionModelOrIdentifier, recordIds, append(optFilters, a.withContext)...)
}

// queryDeadline gives every request's record queries a deadline: they stop
// when the client goes away or the deadline passes. Past the deadline the
// request answers 503 instead of whatever error the cut query produced; a
// request whose client is gone is left unanswered (client_gone.go).
// Realtime's event stream is left alone: it lives for hours and queries
// nothing itself.
func queryDeadline(deadline time.Duration) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       queryDeadlineMiddlewareId,
		Priority: queryDeadlinePriority,
		Func: func(e *core.RequestEvent) error {
			if deadline <= 0 || e.Request.URL.Path == "/api/realtime" {
				return e.Next()
			}
			ctx, cancel := context.WithTimeout(e.Request.Context(), deadline)
			defer cancel()
			outer := e.App
			e.App = deadlineApp{App: outer, ctx: ctx}
			err := e.Next()
			e.App = outer
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return router.NewApiError(http.StatusServiceUnavailable,
					fmt.Sprintf("The request's queries ran past the %s deadline and were stopped.", deadline), nil)
			}
			return err
		},
	}
}

// queryDeadlineFromEnv reads QueryDeadlineEnv; a value it cannot read keeps
// the default (and says so) rather than turning the deadline off.
func queryDeadlineFromEnv(app core.App) time.Duration {
	raw := strings.TrimSpace(os.Getenv(QueryDeadlineEnv))
	switch {
	case raw == "":
		return defaultQueryDeadline
	case strings.EqualFold(raw, "off"):
		return 0
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		app.Logger().Warn("ignoring "+QueryDeadlineEnv+"; want a positive duration like 5s, or off",
			"value", raw, "default", defaultQueryDeadline.String())
		return defaultQueryDeadline
	}
	return d
}
