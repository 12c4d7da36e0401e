package hooks_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// GET /api/v1/admin/doctor: admins and superusers read the report (200
// whatever it holds: the fixture's two payments lack their ledger entries,
// which it names); everyone else is refused before any check runs.
func TestDoctorRoute(t *testing.T) {
	f := testapp.Get(t)
	report := []string{`"violations":2`, `"code":"money_payment_in_ledger"`, `"payments:` + f.PaymentA + `"`}
	apiRun(t, []tests.ApiScenario{
		{Name: "anonymous", Method: http.MethodGet, URL: "/api/v1/admin/doctor", BeforeTestFunc: offlineBefore,
			ExpectedStatus: 401, ExpectedContent: []string{`"data":{}`}},
		{Name: "parent", Method: http.MethodGet, URL: "/api/v1/admin/doctor", Headers: apiAs(f.ParentA), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 403, ExpectedContent: []string{`"data":{}`}, NotExpectedContent: []string{"violations"}},
		{Name: "teacher", Method: http.MethodGet, URL: "/api/v1/admin/doctor", Headers: apiAs(f.TeacherXUser), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 403, ExpectedContent: []string{`"data":{}`}, NotExpectedContent: []string{"violations"}},
		{Name: "admin", Method: http.MethodGet, URL: "/api/v1/admin/doctor", Headers: apiAs(f.Admin), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 200, ExpectedContent: report},
		{Name: "superuser", Method: http.MethodGet, URL: "/api/v1/admin/doctor", Headers: apiAs(f.Superuser), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 200, ExpectedContent: report},
	})
}
