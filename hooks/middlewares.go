package hooks

import (
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// bindMiddlewares binds the router-wide middlewares (request ids and logs,
// security headers) and the switch that can turn the rate limiter off.
func bindMiddlewares(app core.App) {
	bindRateLimitSwitch(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Unbind(apis.DefaultSecurityHeadersMiddlewareId)
		se.Router.Bind(requestLog(), securityHeaders())
		return se.Next()
	})
}
