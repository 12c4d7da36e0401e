package hooks

import (
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// bindMiddlewares binds the router-wide middlewares (request ids and logs,
// requests left unanswered when their client is gone, security headers, the
// cost limits and deadline of client queries) and the switch that can turn
// the rate limiter off.
func bindMiddlewares(app core.App) {
	bindRateLimitSwitch(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Unbind(apis.DefaultSecurityHeadersMiddlewareId)
		se.Router.Bind(requestLog(), abortWhenClientGone(), securityHeaders(), queryCostGuard(), fieldsGuard(), queryDeadline(queryDeadlineFromEnv(se.App)))
		return se.Next()
	})
	app.OnRealtimeSubscribeRequest().BindFunc(guardRealtimeOptions)
}
