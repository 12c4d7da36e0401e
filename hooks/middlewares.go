package hooks

import "github.com/pocketbase/pocketbase/core"

// bindMiddlewares binds the router-wide middlewares (security headers,
// request ids and logs).
func bindMiddlewares(app core.App) {
}
