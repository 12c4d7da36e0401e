package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/offers"
)

// routes.go: every route of the academy's HTTP API, one line each, read top
// to bottom: method, path, handler (in the file of its group), who may call
// it, and the largest body it takes. "who" is the gate in front of the
// handler; inside it the collection's rules decide (access.go). To add a
// route, add a line. PocketBase's own routes (/api/collections/..., the
// admin UI) and the static files (static.go, registered last) are not here.

// route is one line of the table.
type route struct {
	method  string
	path    string
	handler func(*core.RequestEvent) error
	who     gate
	body    int64 // the body limit in bytes (larger bodies get a 413); 0: PocketBase's default
}

// gate is who may reach a handler at all.
type gate int

const (
	anyone   gate = iota // no sign-in (the handler may still ask for a token, a signature or a feed token)
	signedIn             // a valid PocketBase auth token, else 401
)

// Body limits: a student or a week of availability is a few hundred bytes;
// Stripe's events are rarely over 64 KiB, but an invoice with many lines
// can be.
const (
	routeBody   = 64 << 10
	webhookBody = 1 << 20
)

var routes = []route{
	// auth.go: PocketBase auth for `users` under the seed's paths
	{http.MethodPost, "/auth/login", login, anyone, routeBody},
	{http.MethodGet, "/auth/me", me, signedIn, routeBody},
	{http.MethodPost, "/auth/refresh", refresh, signedIn, routeBody},

	// health.go
	{http.MethodGet, "/health", health, anyone, 0},
	{http.MethodGet, "/api/v1/health", health, anyone, 0},

	// students.go
	{http.MethodGet, "/api/v1/students", listStudents, signedIn, routeBody},
	{http.MethodPost, "/api/v1/students", createStudent, signedIn, routeBody},
	{http.MethodGet, "/api/v1/students/{id}", viewStudent, signedIn, routeBody},
	{http.MethodPut, "/api/v1/students/{id}", updateStudent, signedIn, routeBody},
	{http.MethodPatch, "/api/v1/students/{id}", updateStudent, signedIn, routeBody},
	{http.MethodDelete, "/api/v1/students/{id}", softDeleteStudent, signedIn, routeBody},
	{http.MethodPost, "/api/v1/students/{id}/restore", restoreStudent, signedIn, routeBody},

	// teachers.go, availability.go
	{http.MethodGet, "/api/v1/teachers", listTeachers, signedIn, routeBody},
	{http.MethodPost, "/api/v1/teachers", createTeacher, signedIn, routeBody},
	{http.MethodPut, "/api/v1/teachers/{id}/availability", replaceAvailability, signedIn, routeBody},

	// public.go, public_timeslots.go: the anonymous catalogue
	{http.MethodGet, "/api/v1/public/teachers", listPublicTeachers, anyone, routeBody},
	{http.MethodGet, "/api/v1/public/pricing", listPublicPricing, anyone, routeBody},
	{http.MethodGet, "/api/v1/public/timeslots", listPublicTimeslots, anyone, routeBody},

	// lessons.go, lesson_check.go, schedule_view.go, lesson_changes.go
	{http.MethodGet, "/api/v1/lessons", listLessons, signedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons", createLessons, signedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons/check-conflicts", checkLessonConflicts, signedIn, routeBody},
	{http.MethodGet, "/api/v1/lessons/schedule/view", scheduleView, signedIn, routeBody},
	{http.MethodPatch, "/api/v1/lessons/{id}", updateLessons, signedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons/{id}/cancel", cancelLessons, signedIn, routeBody},

	// calendar_feeds.go: the feed itself needs only its token
	{http.MethodGet, "/api/v1/calendars/{file}", serveCalendarFeed, anyone, routeBody},
	{http.MethodPost, "/api/v1/calendars/feed", mintCalendarFeed, signedIn, routeBody},
	{http.MethodPost, "/api/v1/calendars/feed/rotate", rotateCalendarFeed, signedIn, routeBody},

	// workflow_routes.go
	{http.MethodGet, "/api/v1/workflows/runs", listWorkflowRuns, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs", startWorkflowRun, signedIn, routeBody},
	{http.MethodGet, "/api/v1/workflows/runs/{id}", viewWorkflowRun, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/retry", retryWorkflowRun, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/resume", resumeWorkflowRun, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/cancel", cancelWorkflowRun, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/events", signalWorkflowEvent, signedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/trial-confirmations", confirmTrialLesson, signedIn, routeBody},

	// payments.go
	{http.MethodGet, "/api/v1/payments", listPayments, signedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/process", processPayment, signedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/record", recordPayment, signedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/{id}/refund", refundPayment, signedIn, routeBody},

	// billing_routes.go
	{http.MethodPost, "/api/v1/billing/setup-intent", setupIntent, signedIn, routeBody},
	{http.MethodPost, "/api/v1/billing/portal", portalSession, signedIn, routeBody},
	{http.MethodGet, "/api/v1/billing/families/{id}/ledger", familyLedger, signedIn, routeBody},
	{http.MethodGet, "/api/v1/billing/families/{id}/preview", familyPreview, signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription", subscription("create"), signedIn, routeBody},
	{http.MethodPatch, "/api/v1/enrollments/{id}/subscription", subscription("change"), signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/pause", subscription("pause"), signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/resume", subscription("resume"), signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/withdraw", subscription("withdraw"), signedIn, routeBody},

	// enrollments.go, enrollments_public.go
	{http.MethodPost, "/api/v1/enrollments", startEnrollment, signedIn, routeBody},
	{http.MethodGet, "/api/v1/enrollments/match", matchEnrollment, signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/match", matchEnrollment, signedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/cancel", cancelEnrollment, signedIn, routeBody},
	{http.MethodGet, "/api/v1/enrollments/{id}/payment", enrollmentPayment, signedIn, routeBody}, // enrollment_payment.go
	{http.MethodPost, "/api/v1/public/enrollments", startPublicEnrollment, anyone, routeBody},

	// openapi.go: the API description (apispec/openapi.yaml); /docs/ renders it
	{http.MethodGet, "/api/v1/openapi.json", serveOpenAPI, anyone, 0},

	// offers/routes.go: a freed slot's link from its mail; the token is the key
	{http.MethodGet, "/api/v1/offers/{token}", offers.ShowOffer, anyone, routeBody},
	{http.MethodPost, "/api/v1/offers/{token}/accept", offers.AcceptOffer, anyone, routeBody},

	// doctor.go: the invariant report, admins only
	{http.MethodGet, "/api/v1/admin/doctor", runDoctor, signedIn, 0},

	// stripe_webhooks.go: no sign-in, a valid Stripe-Signature instead
	{http.MethodPost, "/api/v1/stripe/webhooks", stripeWebhook, anyone, webhookBody},
}

// bindRoutes registers the table on the router.
func bindRoutes(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		for _, r := range routes {
			bound := se.Router.Route(r.method, r.path, r.handler)
			if r.who == signedIn {
				bound.Bind(apis.RequireAuth())
			}
			switch {
			case r.method == http.MethodGet:
				bound.Bind(ignoreBody())
			case r.body > 0:
				bound.Bind(apis.BodyLimit(r.body))
			}
		}
		return se.Next()
	})
}
