// Package hooks is the academy's HTTP surface: the /api/v1 and /auth
// routes (every one listed in routes.go), the calendar feeds, /health, the
// static files, security headers, the rate limit, request logs, and the
// cost limits and deadline of client queries (filter, sort, expand).
// Handlers read the request (body.go: one reader, every field error at
// once), check access with the collections' rules (access.go), call the
// capability (lessons, billing, workflows, notify, audit) and answer:
// creates 201, refused writes 403, validation errors 400. The model's own
// rules are record hooks in those packages, not here. Register binds it
// all; the wiring calls it last (the static catch-all route must come after
// every other route). The serve command (CORS) is in cli.
//
// hooks imports every capability it serves (academy, audit, billing,
// lessons, notify, records, scheduling, workflows); none of them imports
// hooks.
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
