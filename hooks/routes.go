package hooks

import (
	"net/http"

	"cedarheights/offers"
)

// routes.go: every route of the academy's HTTP API, one line each, read top
// to bottom: method, path, handler (in the file of its group), who may call
// it, and the largest body it takes. "who" is the gate in front of the
// handler; inside it the collection's rules decide (access.go). To add a
// route, add a line. PocketBase's own routes (/api/collections/..., the
// admin UI) and the static files (static.go, registered last) are not here.

// Body limits: a student or a week of availability is a few hundred bytes;
// Stripe's events are rarely over 64 KiB, but an invoice with many lines
// can be.
const (
	routeBody   = 64 << 10
	webhookBody = 1 << 20
)

var routes = []Route{
	// auth.go: PocketBase auth for `users` under the seed's paths
	{http.MethodPost, "/auth/login", login, Anyone, routeBody},
	{http.MethodGet, "/auth/me", me, SignedIn, routeBody},
	{http.MethodPost, "/auth/refresh", refresh, SignedIn, routeBody},

	// health.go
	{http.MethodGet, "/health", health, Anyone, 0},
	{http.MethodGet, "/api/v1/health", health, Anyone, 0},

	// students.go
	{http.MethodGet, "/api/v1/students", listStudents, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/students", createStudent, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/students/{id}", viewStudent, SignedIn, routeBody},
	{http.MethodPut, "/api/v1/students/{id}", updateStudent, SignedIn, routeBody},
	{http.MethodPatch, "/api/v1/students/{id}", updateStudent, SignedIn, routeBody},
	{http.MethodDelete, "/api/v1/students/{id}", softDeleteStudent, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/students/{id}/restore", restoreStudent, SignedIn, routeBody},

	// teachers.go, availability.go
	{http.MethodGet, "/api/v1/teachers", listTeachers, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/teachers", createTeacher, SignedIn, routeBody},
	{http.MethodPut, "/api/v1/teachers/{id}/availability", replaceAvailability, SignedIn, routeBody},

	// public.go, public_timeslots.go: the anonymous catalogue
	{http.MethodGet, "/api/v1/public/teachers", listPublicTeachers, Anyone, routeBody},
	{http.MethodGet, "/api/v1/public/pricing", listPublicPricing, Anyone, routeBody},
	{http.MethodGet, "/api/v1/public/timeslots", listPublicTimeslots, Anyone, routeBody},

	// lessons.go, lesson_check.go, schedule_view.go, lesson_changes.go
	{http.MethodGet, "/api/v1/lessons", listLessons, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons", createLessons, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons/check-conflicts", checkLessonConflicts, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/lessons/schedule/view", scheduleView, SignedIn, routeBody},
	{http.MethodPatch, "/api/v1/lessons/{id}", updateLessons, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/lessons/{id}/cancel", cancelLessons, SignedIn, routeBody},

	// calendar_feeds.go: the feed itself needs only its token
	{http.MethodGet, "/api/v1/calendars/{file}", serveCalendarFeed, Anyone, routeBody},
	{http.MethodPost, "/api/v1/calendars/feed", mintCalendarFeed, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/calendars/feed/rotate", rotateCalendarFeed, SignedIn, routeBody},

	// workflow_routes.go
	{http.MethodGet, "/api/v1/workflows/runs", listWorkflowRuns, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs", startWorkflowRun, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/workflows/runs/{id}", viewWorkflowRun, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/retry", retryWorkflowRun, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/resume", resumeWorkflowRun, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/runs/{id}/cancel", cancelWorkflowRun, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/events", signalWorkflowEvent, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/workflows/trial-confirmations", confirmTrialLesson, SignedIn, routeBody},

	// payments.go
	{http.MethodGet, "/api/v1/payments", listPayments, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/process", processPayment, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/record", recordPayment, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/payments/{id}/refund", refundPayment, SignedIn, routeBody},

	// billing_routes.go
	{http.MethodPost, "/api/v1/billing/setup-intent", setupIntent, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/billing/portal", portalSession, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/billing/families/{id}/ledger", familyLedger, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/billing/families/{id}/preview", familyPreview, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription", subscription("create"), SignedIn, routeBody},
	{http.MethodPatch, "/api/v1/enrollments/{id}/subscription", subscription("change"), SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/pause", subscription("pause"), SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/resume", subscription("resume"), SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/subscription/withdraw", subscription("withdraw"), SignedIn, routeBody},

	// enrollments.go, enrollments_public.go
	{http.MethodPost, "/api/v1/enrollments", startEnrollment, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/enrollments/match", matchEnrollment, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/match", matchEnrollment, SignedIn, routeBody},
	{http.MethodPost, "/api/v1/enrollments/{id}/cancel", cancelEnrollment, SignedIn, routeBody},
	{http.MethodGet, "/api/v1/enrollments/{id}/payment", enrollmentPayment, SignedIn, routeBody}, // enrollment_payment.go
	{http.MethodPost, "/api/v1/public/enrollments", startPublicEnrollment, Anyone, routeBody},

	// openapi.go: the API description (apispec/openapi.yaml); /docs/ renders it
	{http.MethodGet, "/api/v1/openapi.json", serveOpenAPI, Anyone, 0},

	// offers/routes.go: a freed slot's link from its mail; the token is the key
	{http.MethodGet, "/api/v1/offers/{token}", offers.ShowOffer, Anyone, routeBody},
	{http.MethodPost, "/api/v1/offers/{token}/accept", offers.AcceptOffer, Anyone, routeBody},

	// doctor.go: the invariant report, admins only
	{http.MethodGet, "/api/v1/admin/doctor", runDoctor, SignedIn, 0},

	// stripe_webhooks.go: no sign-in, a valid Stripe-Signature instead
	{http.MethodPost, "/api/v1/stripe/webhooks", stripeWebhook, Anyone, webhookBody},
}
