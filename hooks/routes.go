package hooks

import (
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/offers"
)

// maxRouteBody caps request bodies on the academy's routes (a student or a
// week of availability is a few hundred bytes); larger bodies get a 413.
const maxRouteBody = 64 << 10

// bindRoutes registers the academy's REST routes: the seed's /api/v1 API and
// /auth, thin handlers over the same collections and rules as PocketBase's
// record API.
func bindRoutes(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		v1 := se.Router.Group("/api/v1").Bind(apis.BodyLimit(maxRouteBody))
		bindStudentRoutes(v1)
		bindTeacherRoutes(v1)
		bindPublicRoutes(v1)
		bindLessonRoutes(v1)
		bindWorkflowRoutes(v1)
		bindPaymentRoutes(v1)
		bindBillingRoutes(v1)
		bindStripeWebhookRoutes(v1)
		bindEnrollmentRoutes(v1)
		offers.BindRoutes(v1)
		bindOpenAPIRoute(v1)

		auth := se.Router.Group("/auth").Bind(apis.BodyLimit(maxRouteBody))
		bindAuthRoutes(auth)
		return se.Next()
	})
}
