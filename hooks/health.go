package hooks

import "github.com/pocketbase/pocketbase/core"

// bindHealth registers GET /health and /api/v1/health.
func bindHealth(app core.App) {
}
