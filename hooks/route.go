package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// route.go: what a line of the routes table is (the table itself, every
// route of the API, is in wiring/routes.go) and how it is bound.

// Route is one line of the table.
type Route struct {
	Method  string
	Path    string
	Handler func(*core.RequestEvent) error
	Who     Gate
	Body    int64 // the body limit in bytes (larger bodies get a 413); 0: PocketBase's default
}

// Gate is who may reach a handler at all.
type Gate int

const (
	Anyone   Gate = iota // no sign-in (the handler may still ask for a token, a signature or a feed token)
	SignedIn             // a valid PocketBase auth token, else 401
)

// bindRoutes registers the table on the router.
func bindRoutes(app core.App, routes []Route) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		for _, r := range routes {
			bound := se.Router.Route(r.Method, r.Path, r.Handler)
			if r.Who == SignedIn {
				bound.Bind(apis.RequireAuth())
			}
			switch {
			case r.Method == http.MethodGet:
				bound.Bind(ignoreBody())
			case r.Body > 0:
				bound.Bind(apis.BodyLimit(r.Body))
			}
		}
		return se.Next()
	})
}
