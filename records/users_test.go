package records_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestUsersSignUpYieldsParent: self sign-up can only make a parent; the
// role is filled when the body leaves it out.
func TestUsersSignUpYieldsParent(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	signUp := func(extra string) *strings.Reader {
		return strings.NewReader(`{"email":"fam@cedarheights.test","password":"password123","passwordConfirm":"password123","name":"Fam"` + extra + `}`)
	}
	roleOf := func(want string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, res *http.Response) {
			u, err := app.FindAuthRecordByEmail("users", "fam@cedarheights.test")
			if want == "" {
				if err == nil {
					t.Fatalf("user created with role %q", u.GetString("role"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := u.GetString("role"); got != want {
				t.Fatalf("role = %q, want %q", got, want)
			}
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "no role → parent", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(""),
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"parent"`}, AfterTestFunc: roleOf("parent")},
		{Name: "empty role → parent", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":""`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: roleOf("")},
		{Name: "role parent", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":"parent"`),
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"parent"`}, AfterTestFunc: roleOf("parent")},
		{Name: "role admin refused", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":"admin"`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: roleOf("")},
		{Name: "role teacher refused", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":"teacher"`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: roleOf("")},
		{Name: "a parent cannot make an admin", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":"admin"`),
			Headers:        map[string]string{"Authorization": f.ParentA.Token},
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: roleOf("")},
		{Name: "an address that differs from a family's only in case is taken", Method: http.MethodPost, URL: "/api/collections/users/records",
			Body:           strings.NewReader(`{"email":"` + strings.ToUpper(f.ParentA.Email) + `","password":"password123","passwordConfirm":"password123","name":"Twin"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_not_unique"`}},
		{Name: "an admin creates a teacher", Method: http.MethodPost, URL: "/api/collections/users/records", Body: signUp(`,"role":"teacher"`),
			Headers:        map[string]string{"Authorization": f.Admin.Token},
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"teacher"`}, AfterTestFunc: roleOf("teacher")},
	}
	for _, s := range scenarios {
		s.TestAppFactory = testapp.Factory
		s.Test(t)
	}
}

func TestUsersGoCodeDefaultsToParent(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	c, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(c)
	u.SetEmail("go.parent@cedarheights.test")
	u.SetPassword("password123")
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
	if got := testapp.Record(t, app, "users", u.Id).GetString("role"); got != "parent" {
		t.Fatalf("role = %q", got)
	}
}
