package hooks

import (
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/audit"
)

const (
	// RequestIDHeader carries the request id in and out.
	RequestIDHeader = "X-Request-Id"
	// RequestIDKey is where the request id sits in the RequestEvent store
	// (e.Get(RequestIDKey)); the audit log records it.
	RequestIDKey = audit.RequestIDKey

	requestLogMiddlewareId = "academyRequestLog"
	// Right after PocketBase's www redirect, before CORS, the rate limiter
	// and the router's own logger, so every response (preflights and 429s
	// included) carries the id.
	requestLogPriority = apis.DefaultWWWRedirectMiddlewarePriority + 1
)

// An inbound id is kept only if it is short and cannot smuggle anything
// into headers or logs; otherwise we mint our own.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

const requestIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// requestLog assigns the request id, echoes it and writes one structured
// line per request to app.Logger(). PocketBase logs requests too; its line
// gets the id in "meta" so both can be matched up.
func requestLog() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       requestLogMiddlewareId,
		Priority: requestLogPriority,
		Func: func(e *core.RequestEvent) error {
			id := e.Request.Header.Get(RequestIDHeader)
			if !safeRequestID.MatchString(id) {
				id = security.RandomStringWithAlphabet(20, requestIDAlphabet)
			}
			e.Set(RequestIDKey, id)
			if e.Get(apis.RequestEventKeyLogMeta) == nil {
				e.Set(apis.RequestEventKeyLogMeta, map[string]any{"requestId": id})
			}
			e.Response.Header().Set(RequestIDHeader, id)

			started := time.Now()
			err := e.Next()
			logRequestLine(e, id, started, responseStatus(e, err))
			return err
		},
	}
}

// logRequestLine writes the line; extra attributes follow the usual ones.
func logRequestLine(e *core.RequestEvent, id string, started time.Time, status int, extra ...any) {
	auth := ""
	if e.Auth != nil {
		auth = e.Auth.Collection().Name + ":" + e.Auth.Id
	}
	attrs := []any{
		slog.String("request_id", id),
		slog.String("method", e.Request.Method),
		slog.String("path", e.Request.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(started).Microseconds())/1000),
		slog.String("ip", e.RealIP()),
		slog.String("auth", auth),
	}
	attrs = append(attrs, extra...)
	logger := e.App.Logger()
	// As PocketBase does for its own request log: the write may flush a
	// batch to the logs database, which the response should not wait for.
	routine.FireAndForget(func() {
		if status >= http.StatusInternalServerError {
			logger.Error("request", attrs...)
		} else {
			logger.Info("request", attrs...)
		}
	})
}

// responseStatus is the status the client gets: the written one, or the one
// of the error the router is about to write.
func responseStatus(e *core.RequestEvent, err error) int {
	if status := e.Status(); status != 0 {
		return status
	}
	if err == nil {
		return http.StatusOK
	}
	return router.ToApiError(err).Status
}
