package wiring

import (
	"net/http"
	"slices"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
	"cedarheights/hooks/authapi"
	"cedarheights/hooks/billingapi"
	"cedarheights/hooks/calendarsapi"
	"cedarheights/hooks/enrollmentsapi"
	"cedarheights/hooks/lessonsapi"
	"cedarheights/hooks/offersapi"
	"cedarheights/hooks/opsapi"
	"cedarheights/hooks/peopleapi"
	"cedarheights/hooks/publicapi"
	"cedarheights/hooks/workflowsapi"
)

// routes.go: every route of the academy's HTTP API, one line each, read top
// to bottom: method, path, handler (in the package of its group, under
// hooks/), who may call it, and the largest body it takes. "who" is the gate
// in front of the handler; inside it the collection's rules decide
// (hooks/access.go). To add a route, add a line. PocketBase's own routes
// (/api/collections/..., the admin UI) and the static files
// (hooks/static.go, registered last) are not here.

// Body limits: a student or a week of availability is a few hundred bytes;
// Stripe's events are rarely over 64 KiB, but an invoice with many lines
// can be.
const (
	routeBody   = 64 << 10
	webhookBody = 1 << 20
)

// Who may reach a handler at all (hooks.Gate).
const (
	anyone   = hooks.Anyone   // no sign-in (the handler may still ask for a token, a signature or a feed token)
	signedIn = hooks.SignedIn // a valid PocketBase auth token, else 401
)

var routes = []hooks.Route{
	// hooks/authapi/auth.go: PocketBase auth for `users` under the seed's paths
	route(http.MethodPost, "/auth/login", authapi.Login, anyone, routeBody),
	route(http.MethodGet, "/auth/me", authapi.Me, signedIn, routeBody),
	route(http.MethodPost, "/auth/refresh", authapi.Refresh, signedIn, routeBody),

	// hooks/opsapi/health.go
	route(http.MethodGet, "/health", opsapi.Health, anyone, 0),
	route(http.MethodGet, "/api/v1/health", opsapi.Health, anyone, 0),

	// hooks/peopleapi/students.go
	route(http.MethodGet, "/api/v1/students", peopleapi.ListStudents, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/students", peopleapi.CreateStudent, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/students/{id}", peopleapi.ViewStudent, signedIn, routeBody),
	route(http.MethodPut, "/api/v1/students/{id}", peopleapi.UpdateStudent, signedIn, routeBody),
	route(http.MethodPatch, "/api/v1/students/{id}", peopleapi.UpdateStudent, signedIn, routeBody),
	route(http.MethodDelete, "/api/v1/students/{id}", peopleapi.SoftDeleteStudent, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/students/{id}/restore", peopleapi.RestoreStudent, signedIn, routeBody),

	// hooks/peopleapi/teachers.go, availability.go
	route(http.MethodGet, "/api/v1/teachers", peopleapi.ListTeachers, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/teachers", peopleapi.CreateTeacher, signedIn, routeBody),
	route(http.MethodPut, "/api/v1/teachers/{id}/availability", peopleapi.ReplaceAvailability, signedIn, routeBody),

	// hooks/publicapi/public.go, public_timeslots.go: the anonymous catalogue
	route(http.MethodGet, "/api/v1/public/teachers", publicapi.ListPublicTeachers, anyone, routeBody),
	route(http.MethodGet, "/api/v1/public/pricing", publicapi.ListPublicPricing, anyone, routeBody),
	route(http.MethodGet, "/api/v1/public/timeslots", publicapi.ListPublicTimeslots, anyone, routeBody),

	// hooks/lessonsapi/lessons.go, lesson_check.go, schedule_view.go, lesson_changes.go
	route(http.MethodGet, "/api/v1/lessons", lessonsapi.ListLessons, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/lessons", lessonsapi.CreateLessons, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/lessons/check-conflicts", lessonsapi.CheckLessonConflicts, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/lessons/schedule/view", lessonsapi.ScheduleView, signedIn, routeBody),
	route(http.MethodPatch, "/api/v1/lessons/{id}", lessonsapi.UpdateLessons, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/lessons/{id}/cancel", lessonsapi.CancelLessons, signedIn, routeBody),

	// hooks/calendarsapi/calendar_feeds.go: the feed itself needs only its token
	route(http.MethodGet, "/api/v1/calendars/{file}", calendarsapi.ServeCalendarFeed, anyone, routeBody),
	route(http.MethodPost, "/api/v1/calendars/feed", calendarsapi.MintCalendarFeed, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/calendars/feed/rotate", calendarsapi.RotateCalendarFeed, signedIn, routeBody),

	// hooks/workflowsapi/workflow_routes.go
	route(http.MethodGet, "/api/v1/workflows/runs", workflowsapi.ListWorkflowRuns, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/runs", workflowsapi.StartWorkflowRun, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/workflows/runs/{id}", workflowsapi.ViewWorkflowRun, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/runs/{id}/retry", workflowsapi.RetryWorkflowRun, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/runs/{id}/resume", workflowsapi.ResumeWorkflowRun, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/runs/{id}/cancel", workflowsapi.CancelWorkflowRun, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/events", workflowsapi.SignalWorkflowEvent, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/workflows/trial-confirmations", workflowsapi.ConfirmTrialLesson, signedIn, routeBody),

	// hooks/billingapi/payments.go
	route(http.MethodGet, "/api/v1/payments", billingapi.ListPayments, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/payments/process", billingapi.ProcessPayment, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/payments/record", billingapi.RecordPayment, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/payments/{id}/refund", billingapi.RefundPayment, signedIn, routeBody),

	// hooks/billingapi/billing_routes.go
	route(http.MethodPost, "/api/v1/billing/setup-intent", billingapi.SetupIntent, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/billing/portal", billingapi.PortalSession, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/billing/families/{id}/ledger", billingapi.FamilyLedger, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/billing/families/{id}/preview", billingapi.FamilyPreview, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/{id}/subscription", billingapi.Subscription("create"), signedIn, routeBody),
	route(http.MethodPatch, "/api/v1/enrollments/{id}/subscription", billingapi.Subscription("change"), signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/{id}/subscription/pause", billingapi.Subscription("pause"), signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/{id}/subscription/resume", billingapi.Subscription("resume"), signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/{id}/subscription/withdraw", billingapi.Subscription("withdraw"), signedIn, routeBody),

	// hooks/enrollmentsapi/enrollments.go, enrollments_public.go
	route(http.MethodPost, "/api/v1/enrollments", enrollmentsapi.StartEnrollment, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/enrollments/match", enrollmentsapi.MatchEnrollment, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/match", enrollmentsapi.MatchEnrollment, signedIn, routeBody),
	route(http.MethodPost, "/api/v1/enrollments/{id}/cancel", enrollmentsapi.CancelEnrollment, signedIn, routeBody),
	route(http.MethodGet, "/api/v1/enrollments/{id}/payment", billingapi.EnrollmentPayment, signedIn, routeBody), // hooks/billingapi/enrollment_payment.go
	route(http.MethodPost, "/api/v1/public/enrollments", enrollmentsapi.StartPublicEnrollment, anyone, routeBody),

	// hooks/opsapi/openapi.go: the API description (apispec/openapi.yaml); /docs/ renders it
	route(http.MethodGet, "/api/v1/openapi.json", opsapi.ServeOpenAPI, anyone, 0),

	// hooks/offersapi/offers.go: a freed slot's link from its mail; the token is the key
	route(http.MethodGet, "/api/v1/offers/{token}", offersapi.ShowOffer, anyone, routeBody),
	route(http.MethodPost, "/api/v1/offers/{token}/accept", offersapi.AcceptOffer, anyone, routeBody),

	// hooks/opsapi/doctor.go: the invariant report, admins only
	route(http.MethodGet, "/api/v1/admin/doctor", opsapi.RunDoctor, signedIn, 0),

	// hooks/billingapi/stripe_webhooks.go: no sign-in, a valid Stripe-Signature instead
	route(http.MethodPost, "/api/v1/stripe/webhooks", billingapi.StripeWebhook, anyone, webhookBody),
}

// route is one line of the table.
func route(method, path string, handler func(*core.RequestEvent) error, who hooks.Gate, body int64) hooks.Route {
	return hooks.Route{Method: method, Path: path, Handler: handler, Who: who, Body: body}
}

// Routes is a copy of the table, for the tests that go through every route.
func Routes() []hooks.Route {
	return slices.Clone(routes)
}
