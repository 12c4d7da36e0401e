package hooks

import (
	"github.com/pocketbase/pocketbase/core"
)

// Register binds the HTTP surface to app: the plumbing, the routes table
// (wiring/routes.go), and last the static files.
func Register(app core.App, routes []Route) {
	bindRequestBodyRestore(app)
	bindMiddlewares(app)
	refuseBadRecordIds(app)
	bindRoutes(app, routes)
	bindStatic(app)
}
