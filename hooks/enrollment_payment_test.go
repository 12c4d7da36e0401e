package hooks_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestEnrollmentPaymentRoute: who may ask what an enrollment's payment
// needs, and the answers that need no pending intent. The pending intents
// themselves (both kinds, their client secrets) are tested end to end with
// the Stripe stand-in in enrollment/payment_secret_http_test.go.
func TestEnrollmentPaymentRoute(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	pathA := "/api/v1/enrollments/" + f.EnrollmentA1 + "/payment"
	ended := func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		onlineBefore(t, app, e)
		r, err := app.FindRecordById("enrollments", f.EnrollmentA1)
		if err != nil {
			t.Fatal(err)
		}
		r.Set("status", "failed")
		if err := app.SaveNoValidate(r); err != nil {
			t.Fatal(err)
		}
	}
	apiRun(t, []tests.ApiScenario{
		{Name: "anonymous is 401", Method: http.MethodGet, URL: pathA, BeforeTestFunc: onlineBefore,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "another family gets the 404 of a missing id", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.ParentB), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, NotExpectedContent: []string{`client_secret`, `"status":"`}},
		{Name: "a missing id is 404", Method: http.MethodGet, URL: "/api/v1/enrollments/nosuchenrollm1/payment", Headers: apiAs(f.ParentB), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "a teacher is 404 (enrollments hold billing ids)", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.TeacherXUser), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "another family is 404 offline too (access before billing)", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.ParentB), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "the family of an active enrollment: nothing to pay, no secret", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.ParentA), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"none"`, `"enrollment":"` + f.EnrollmentA1 + `"`}, NotExpectedContent: []string{`client_secret`, `"kind"`}},
		{Name: "an admin asks for any family", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.Admin), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"none"`}},
		{Name: "offline billing is 503 and says so", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.ParentA), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 503, ExpectedContent: []string{`"status":503`, `offline`}},
		{Name: "an ended enrollment is 409", Method: http.MethodGet, URL: pathA, Headers: apiAs(f.ParentA), BeforeTestFunc: ended,
			ExpectedStatus: 409, ExpectedContent: []string{`"validation_enrollment_ended"`, `is failed`}},
	})
}
