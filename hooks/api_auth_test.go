package hooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// tokenFor checks the response's token authenticates account's record.
func tokenFor(id string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, app *tests.TestApp, res *http.Response) {
		t.Helper()
		body := apiDecode(t, res)
		token, _ := body["token"].(string)
		r, err := app.FindAuthRecordByToken(token, core.TokenTypeAuth)
		if err != nil || r.Id != id {
			t.Fatalf("token %q does not authenticate %s: %v", token, id, err)
		}
	}
}

func TestAuthLogin(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/auth/login"
	creds := func(email, password string) *strings.Reader {
		return apiBody(map[string]string{"email": email, "password": password})
	}
	refused := []string{`"token"`, `"record"`}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "a parent logs in", Method: http.MethodPost, URL: url, Body: creds(f.ParentA.Email, testapp.Password),
			ExpectedStatus: 200, ExpectedContent: []string{`"token":"`, `"id":"` + f.ParentA.ID + `"`, `"email":"parent.a@cedarheights.test"`, `"role":"parent"`},
			NotExpectedContent: []string{`"password"`, `"tokenKey"`},
			ExpectedEvents:     map[string]int{"OnRecordAuthWithPasswordRequest": 1, "OnRecordAuthRequest": 1},
			AfterTestFunc:      tokenFor(f.ParentA.ID),
		},
		{
			// Phones capitalise the first letter; the address is the same.
			Name: "the e-mail's case does not matter", Method: http.MethodPost, URL: url, Body: creds(strings.ToUpper(f.ParentA.Email), testapp.Password),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.ParentA.ID + `"`}, AfterTestFunc: tokenFor(f.ParentA.ID),
		},
		{
			Name: "a teacher logs in", Method: http.MethodPost, URL: url, Body: creds(f.TeacherXUser.Email, testapp.Password),
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"teacher"`}, AfterTestFunc: tokenFor(f.TeacherXUser.ID),
		},
		{
			Name: "a wrong password is 400", Method: http.MethodPost, URL: url, Body: creds(f.ParentA.Email, "wrong-password"),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Failed to authenticate."`}, NotExpectedContent: refused,
			ExpectedEvents: map[string]int{"OnRecordAuthWithPasswordRequest": 1, "OnRecordAuthRequest": 0},
		},
		{
			Name: "an unknown e-mail is the same 400", Method: http.MethodPost, URL: url, Body: creds("nobody@cedarheights.test", testapp.Password),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Failed to authenticate."`}, NotExpectedContent: refused,
		},
		{
			Name: "a superuser cannot log in here", Method: http.MethodPost, URL: url, Body: creds(f.Superuser.Email, testapp.Password),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Failed to authenticate."`}, NotExpectedContent: refused,
		},
		{
			Name: "missing fields are 400 naming each", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_required"`, `"password":{"code":"validation_required"`},
			ExpectedEvents: map[string]int{"OnRecordAuthWithPasswordRequest": 0},
		},
		{
			Name: "a malformed e-mail is 400 on email", Method: http.MethodPost, URL: url, Body: creds("not-an-email", "x"),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_is_email"`},
		},
		{
			Name: "wrong types are 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"email":5,"password":true}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, NotExpectedContent: refused,
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"email":"a@b.c",`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`},
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url, Body: apiOversized("password"),
			ExpectedStatus: 413, ExpectedContent: []string{`"status":413`},
		},
	})
}

func TestAuthMe(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/auth/me"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "a parent reads itself", Method: http.MethodGet, URL: url, Headers: apiAs(f.ParentA),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.ParentA.ID + `"`, `"email":"parent.a@cedarheights.test"`, `"name":"Alice Anders"`},
			NotExpectedContent: []string{`"password"`, `"tokenKey"`},
		},
		{
			Name: "an admin reads itself", Method: http.MethodGet, URL: url, Headers: apiAs(f.Admin),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.Admin.ID + `"`, `"role":"admin"`},
		},
		{
			Name: "anonymous is 401", Method: http.MethodGet, URL: url,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "a forged token is 401", Method: http.MethodGet, URL: url, Headers: map[string]string{"Authorization": f.ParentA.Token + "x"},
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			// found by the HTTP fuzz driver: EnrichRecord reads the body too,
			// and its failure was answered as a 500, then a 400; a GET's
			// body is now ignored (request_body.go)
			Name: "a GET's body PocketBase cannot decode is ignored", Method: http.MethodGet, URL: url,
			Headers:        map[string]string{"Authorization": f.ParentA.Token, "Content-Type": "application/xml"},
			Body:           strings.NewReader(`<?xml version="1.0"?><a>x</a>`),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.ParentA.ID + `"`},
		},
	})
}

func TestAuthRefresh(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/auth/refresh"
	static := map[string]string{}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "a teacher gets a fresh token", Method: http.MethodPost, URL: url, Headers: apiAs(f.TeacherXUser),
			ExpectedStatus: 200, ExpectedContent: []string{`"token":"`, `"id":"` + f.TeacherXUser.ID + `"`, `"email":"teacher.x@cedarheights.test"`},
			ExpectedEvents: map[string]int{"OnRecordAuthRefreshRequest": 1, "OnRecordAuthRequest": 1},
			AfterTestFunc:  tokenFor(f.TeacherXUser.ID),
		},
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "a non-refreshable (impersonation) token is 403", Method: http.MethodPost, URL: url, Headers: static,
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{`"token"`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				token, err := testapp.Record(t, app, "users", f.ParentB.ID).NewStaticAuthToken(time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				static["Authorization"] = token // the scenario reads its headers after this hook
			},
		},
	})
}
