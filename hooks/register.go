// Package hooks is the academy's HTTP surface: the /api/v1 routes, the
// calendar feeds, /health, the static files, security headers, CORS, the
// rate limit, request logs, and the cost limits and deadline of client
// queries (filter, sort, expand). Handlers read the request, check access with
// the collections' rules, call the capability (lessons, billing, workflows,
// notify, audit) and answer; the model's own rules are record hooks in
// those packages, not here. Register binds it all; the wiring calls it
// last (the static catch-all route must come after every other route).
//
// hooks imports every capability it serves (academy, audit, billing,
// lessons, notify, scheduling, workflows); none of them imports hooks.
package hooks

import (
	"github.com/pocketbase/pocketbase/core"
)

// Register binds the HTTP surface to app.
func Register(app core.App) {
	bindRequestBodyRestore(app)
	bindMiddlewares(app)
	bindRoutes(app)
	bindCalendarFeeds(app)
	bindHealth(app)
	bindStatic(app)
}
