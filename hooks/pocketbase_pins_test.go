package hooks_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// pocketbase_pins_test.go pins the PocketBase behaviour the routes copy
// where PocketBase has no public function to call: the create-rule probe
// (access.go CheckCreate), password login and token refresh (authapi/auth.go). Each test
// asks PocketBase's own endpoint and our route the same questions and
// expects the same answers, so an upgrade that changes PocketBase's side
// fails here. (The rule folder is pinned by rule_fold_equiv_test.go, the
// after-save hooks the workflow engine fires by TestWorkflowRunRealtime.)

// TestCreateRuleProbeMatchesRecordAPI: POST /api/v1/students decides with
// our copy of PocketBase's create-rule probe; the record API decides with
// PocketBase's own. Every body here is valid, so only the rule decides.
func TestCreateRuleProbeMatchesRecordAPI(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	child := func(parent, extra string) string {
		if !strings.Contains(extra, `"status"`) {
			extra += `,"status":"prospect"`
		}
		return fmt.Sprintf(`{"parent":%q,"first_name":"Pin","last_name":"Probe"%s}`, parent, extra)
	}
	cases := []struct {
		who     testapp.Account
		body    string
		allowed bool
	}{
		{f.ParentA, child(f.ParentA.ID, ""), true},
		{f.ParentA, child(f.ParentA.ID, `,"notes":"mornings","level":"beginner"`), true},
		{f.ParentA, child(f.ParentB.ID, ""), false},
		{f.ParentA, child(f.ParentA.ID, `,"status":"active"`), false},
		{f.ParentA, child(f.ParentA.ID, `,"deleted":"2026-01-01 00:00:00.000Z"`), false},
		{f.ParentB, child(f.ParentB.ID, ""), true},
		{f.TeacherXUser, child(f.ParentA.ID, ""), false},
		{f.Admin, child(f.ParentB.ID, `,"status":"active"`), true},
		{f.Superuser, child(f.ParentA.ID, `,"status":"withdrawn"`), true},
	}
	for _, c := range cases {
		v1, _ := pinCall(t, http.MethodPost, srv.URL+"/api/v1/students", c.who.Token, c.body)
		pb, raw := pinCall(t, http.MethodPost, srv.URL+"/api/collections/students/records", c.who.Token, c.body)
		if pbAllowed := pb == http.StatusOK; pbAllowed != c.allowed {
			t.Errorf("PocketBase's create rule for %s %s: %d %s, want allowed=%v", c.who.Email, c.body, pb, raw, c.allowed)
		}
		if v1Allowed := v1 == http.StatusCreated; v1Allowed != (pb == http.StatusOK) || (!v1Allowed && v1 != http.StatusForbidden) {
			t.Errorf("%s %s: /api/v1/students %d, PocketBase %d", c.who.Email, c.body, v1, pb)
		}
	}
}

// TestLoginMatchesPasswordAuth: /auth/login re-implements PocketBase's
// auth-with-password for users (no public handler to call); both must
// accept and refuse the same credentials, fire the same hook and hand out
// tokens for the same record.
func TestLoginMatchesPasswordAuth(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	var fired atomic.Int32
	app.OnRecordAuthWithPasswordRequest("users").BindFunc(func(e *core.RecordAuthWithPasswordRequestEvent) error {
		fired.Add(1)
		return e.Next()
	})
	srv := testapp.Serve(t, app)
	cases := []struct{ email, password string }{
		{f.ParentA.Email, testapp.Password},
		{strings.ToUpper(f.TeacherXUser.Email), testapp.Password},
		{f.Admin.Email, testapp.Password},
		{f.ParentA.Email, "wrong-password"},
		{"nobody@cedarheights.test", testapp.Password},
		{f.Superuser.Email, testapp.Password}, // a superuser is not a users account
		{f.ParentA.Email, ""},
	}
	for _, c := range cases {
		before := fired.Load()
		ours, oursRaw := pinCall(t, http.MethodPost, srv.URL+"/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, c.email, c.password))
		oursFired := fired.Load() - before
		before = fired.Load()
		theirs, theirsRaw := pinCall(t, http.MethodPost, srv.URL+"/api/collections/users/auth-with-password", "", fmt.Sprintf(`{"identity":%q,"password":%q}`, c.email, c.password))
		theirsFired := fired.Load() - before
		if ours != theirs {
			t.Errorf("%s / %q: /auth/login %d %s, PocketBase %d %s", c.email, c.password, ours, oursRaw, theirs, theirsRaw)
			continue
		}
		if oursFired != theirsFired {
			t.Errorf("%s / %q: the password-auth hook fired %d times for /auth/login, %d for PocketBase", c.email, c.password, oursFired, theirsFired)
		}
		if ours != http.StatusOK {
			continue
		}
		if a, b := pinAuthRecord(t, app, oursRaw), pinAuthRecord(t, app, theirsRaw); a != b || a == "" {
			t.Errorf("%s: /auth/login's token is for %q, PocketBase's for %q", c.email, a, b)
		}
	}
}

// TestRefreshMatchesAuthRefresh: /auth/refresh re-implements PocketBase's
// auth-refresh (no public handler to call); for a users account both fire
// the same hook once and hand out a token for the same record, and both
// refuse an anonymous caller alike.
func TestRefreshMatchesAuthRefresh(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	var fired atomic.Int32
	app.OnRecordAuthRefreshRequest("users").BindFunc(func(e *core.RecordAuthRefreshRequestEvent) error {
		fired.Add(1)
		return e.Next()
	})
	srv := testapp.Serve(t, app)
	for _, who := range []testapp.Account{f.ParentA, f.TeacherXUser, f.Admin, {}} {
		before := fired.Load()
		ours, oursRaw := pinCall(t, http.MethodPost, srv.URL+"/auth/refresh", who.Token, "")
		oursFired := fired.Load() - before
		before = fired.Load()
		theirs, theirsRaw := pinCall(t, http.MethodPost, srv.URL+"/api/collections/users/auth-refresh", who.Token, "")
		theirsFired := fired.Load() - before
		if ours != theirs || oursFired != theirsFired {
			t.Errorf("%q: /auth/refresh %d (hook %d) %s, PocketBase %d (hook %d) %s", who.Email, ours, oursFired, oursRaw, theirs, theirsFired, theirsRaw)
			continue
		}
		if ours == http.StatusOK {
			if a, b := pinAuthRecord(t, app, oursRaw), pinAuthRecord(t, app, theirsRaw); a != b || a != who.ID {
				t.Errorf("%s: /auth/refresh's token is for %q, PocketBase's for %q", who.Email, a, b)
			}
		}
	}
}

// pinAuthRecord is the id of the record the response's token authenticates.
func pinAuthRecord(t *testing.T, app core.App, raw string) string {
	t.Helper()
	var body struct {
		Token  string
		Record struct{ Id string }
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatal(err)
	}
	r, err := app.FindAuthRecordByToken(body.Token, core.TokenTypeAuth)
	if err != nil || r.Id != body.Record.Id {
		t.Fatalf("token does not authenticate record %q: %v", body.Record.Id, err)
	}
	return r.Id
}

func pinCall(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}
