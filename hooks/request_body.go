package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// request_body.go: keeps unread request bodies from being parsed as new
// requests (request smuggling).
//
// PocketBase v0.39.11's router sets Request.Body, on the very request the
// server handed in, to its rereadable wrapper. When a handler leaves more
// than 256 KiB of a body unread (a 413, a 404, an early 401), net/http marks
// its own body "closed early" and means to drop the connection, but it
// looks for that mark through Request.Body, finds the wrapper, keeps the
// connection and reads the unread bytes as the next requests. Remove this
// once PocketBase leaves the server's request alone (v0.40.4 does not).

// bindRequestBodyRestore wraps the server's handler for every route. It must
// run after e.Next(): that is where apis.Serve builds PocketBase's mux and
// sets e.Server.Handler, replacing anything set before.
func bindRequestBodyRestore(app core.App) {
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(e *core.ServeEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			if e.Server != nil && e.Server.Handler != nil {
				e.Server.Handler = RestoreRequestBody(e.Server.Handler)
			}
			return nil
		},
		// First in the chain, so its wrapper is the outermost: it sees the
		// request exactly as net/http passed it.
		Priority: -1000,
	})
}

// RestoreRequestBody puts back, once next returns, the Request.Body that
// the server handed in, so that net/http inspects its own body (and closes
// a connection whose body was abandoned).
func RestoreRequestBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Body
		defer func() { r.Body = body }()
		next.ServeHTTP(w, r)
	})
}

// ignoreBody takes the place of PocketBase's body limit on our GET routes: a
// GET's body means nothing (RFC 9110, 9.3.1), so it is dropped before
// anything reads it, rather than answered with a 413 when large or a 400
// when its content type is unknown. What is left unread is net/http's to
// discard, with the server's request body put back (above).
func ignoreBody() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       apis.DefaultBodyLimitMiddlewareId,
		Priority: apis.DefaultBodyLimitMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			e.Request.Body = http.NoBody
			e.Request.ContentLength = 0
			e.Request.Header.Del("Content-Type")
			return e.Next()
		},
	}
}
