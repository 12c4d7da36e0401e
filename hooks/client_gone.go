package hooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// client_gone.go: a request whose client went away is not a server error.
//
// net/http ends a request's context when its client closes the connection
// (a page closed, a fetch aborted). The queries that run under it
// (query_deadline.go) and the routes that wait on it (enrollment and
// workflow waits, health, doctor, Stripe calls) then fail with "context
// canceled", and the handler answers that failure, mostly as a 500.
// PocketBase v0.39.11 does nothing special with it: its request log and
// ours recorded a server error, and the description's checker (apispec) an
// undeclared answer, for an answer nobody was there to read.

const (
	clientGoneMiddlewareId = "academyClientGone"
	// Inside PocketBase's activity logger and panic recovery (a panic stays
	// their 500), outside everything that may fail because of the client.
	clientGonePriority = apis.DefaultPanicRecoverMiddlewarePriority + 1

	// StatusClientClosedRequest is nginx's 499, the status the request log
	// gives a request whose client left before a failed handler answered.
	StatusClientClosedRequest = 499
)

// abortWhenClientGone: when the handler fails and the context net/http gave
// the request has ended, the client is gone, and the request is aborted
// with http.ErrAbortHandler, net/http's own way of leaving a request
// unanswered: the connection is dropped and nothing is written or logged
// by the middlewares outside (PocketBase's panic recovery lets that panic
// through on purpose). One request log line, at info level with status
// 499, says so and carries the error. A failure while the client is still
// connected answers as before, whatever the error says (RecordQuery
// carries "collection not found" as a cancelled context of its own).
func abortWhenClientGone() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       clientGoneMiddlewareId,
		Priority: clientGonePriority,
		Func: func(e *core.RequestEvent) error {
			// the server's own context, before a handler swaps e.Request
			ctx := e.Request.Context()
			started := time.Now()
			err := e.Next()
			// net/http cancels it when the connection closes; PocketBase's
			// serve also cancels every request's when the app terminates:
			// the server is going away, so those are left unanswered too. A
			// deadline set by an outer middleware (tests.ApiScenario's
			// Timeout) is no client gone.
			if err == nil || !errors.Is(ctx.Err(), context.Canceled) {
				return err
			}
			id, _ := e.Get(RequestIDKey).(string)
			logRequestLine(e, id, started, StatusClientClosedRequest, slog.String("error", cause(err).Error()))
			panic(http.ErrAbortHandler)
		},
	}
}

// cause is what an ApiError wraps (its message is the public one), else err.
func cause(err error) error {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		if raw, ok := apiErr.RawData().(error); ok {
			return raw
		}
	}
	return err
}
