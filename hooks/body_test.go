package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// Routes that take a typed document (the enrollment) read it through the
// same body reader as every other route: a key the document does not have
// or a value of the wrong type is a 400 naming the field, in PocketBase's
// error shape, before anything is written.
func TestTypedBodyNamesTheField(t *testing.T) {
	f := testapp.Get(t)
	nothingStarted := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := apiCount(t, app, "workflow_runs"); n != 0 {
			t.Errorf("%d workflow runs after a refused body", n)
		}
	}
	cancel := "/api/v1/enrollments/" + f.EnrollmentA1 + "/cancel"
	apiRun(t, []tests.ApiScenario{
		{Name: "unknown key", Method: http.MethodPost, URL: "/api/v1/enrollments", Headers: apiAs(f.ParentA),
			Body: strings.NewReader(`{"plan":"x","bogus":1}`), ExpectedStatus: 400,
			ExpectedContent: []string{`"bogus":{"code":"validation_unknown_field"`}, AfterTestFunc: nothingStarted},
		{Name: "nested value of the wrong type", Method: http.MethodPost, URL: "/api/v1/enrollments", Headers: apiAs(f.ParentA),
			Body: strings.NewReader(`{"student":{"first_name":5}}`), ExpectedStatus: 400,
			ExpectedContent: []string{`"student.first_name":{"code":"validation_invalid_type"`}, AfterTestFunc: nothingStarted},
		{Name: "flag of the wrong type", Method: http.MethodPost, URL: "/api/v1/public/enrollments",
			Body: strings.NewReader(`{"match_me":"yes"}`), ExpectedStatus: 400,
			ExpectedContent: []string{`"match_me":{"code":"validation_invalid_type"`}, AfterTestFunc: nothingStarted},
		{Name: "not an object", Method: http.MethodPost, URL: "/api/v1/enrollments", Headers: apiAs(f.ParentA),
			Body: strings.NewReader(`[1,2]`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: nothingStarted},
		{Name: "cancel reason of the wrong type", Method: http.MethodPost, URL: cancel, Headers: apiAs(f.Admin),
			Body: strings.NewReader(`{"reason":5}`), ExpectedStatus: 400,
			ExpectedContent: []string{`"reason":{"code":"validation_invalid_type"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := apiField(t, app, "enrollments", f.EnrollmentA1, "status"); got == "cancelled" {
					t.Error("cancelled on a refused body")
				}
			}},
	})
}
