package hooks

import "github.com/pocketbase/pocketbase/core"

// bindRoutes registers the academy's REST routes.
func bindRoutes(app core.App) {
}
