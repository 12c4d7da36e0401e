package hooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"cedarheights/internal/testapp"
)

// TestRouterFixes holds the places where PocketBase's router answers in a
// way we do not want (fields_param.go, request_body.go, record_ids.go,
// body.go): each case is what a client sends and what it must get.
func TestRouterFixes(t *testing.T) {
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	studentsBefore := apiCount(t, app, "students")

	cases := []struct {
		name, method, path, token, contentType, body string
		status                                       int
		field                                        string // the field the 400 names
	}{
		// e.JSON wrote the status before parsing ?fields=: an empty 200, and a
		// create done but answered with nothing.
		{"bad fields on a GET", "GET", "/api/v1/public/pricing?fields=a:nope", "", "", "", 400, "fields"},
		{"bad fields on a create", "POST", "/api/v1/students?fields=9999-12-31T23:59:59Z", f.Admin.Token, "application/json",
			`{"parent":"` + f.ParentA.ID + `","first_name":"Fields","last_name":"Guard","birth_date":"2015-01-01","status":"active"}`, 400, "fields"},
		{"bad fields on the record API", "GET", "/api/collections/students/records?fields=id:excerpt(", f.Admin.Token, "", "", 400, "fields"},
		{"good fields still trim", "GET", "/api/v1/public/pricing?fields=items.name", "", "", "", 200, ""},
		// A GET's body means nothing: not a 413, not a 400 for its type.
		{"GET with a large body", "GET", "/api/v1/public/pricing", "", "application/json", strings.Repeat("x", 100<<10), 200, ""},
		{"GET with an XML body", "GET", "/api/v1/public/pricing", "", "application/xml", "<a/>", 200, ""},
		// Bodies are JSON, as described; PocketBase would read a form too.
		{"form body", "POST", "/api/v1/billing/portal", f.ParentA.Token, "application/x-www-form-urlencoded", "family=" + f.ParentA.ID, 400, ""},
		// A create whose id walks out of the storage folder panicked in
		// PocketBase's upload cleanup.
		{"record id with ../", "POST", "/api/collections/teachers/records", f.Superuser.Token, "application/json", `{"id":"../.."}`, 400, "id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			if c.token != "" {
				req.Header.Set("Authorization", c.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, raw)
			}
			var answer struct {
				Status int                        `json:"status"`
				Data   map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(raw, &answer); err != nil {
				t.Fatalf("not JSON: %q", raw)
			}
			if c.status >= 400 && answer.Status != c.status {
				t.Errorf("not PocketBase's error shape: %s", raw)
			}
			if c.field != "" && answer.Data[c.field] == nil {
				t.Errorf("the 400 does not name %q: %s", c.field, raw)
			}
		})
	}
	if n := apiCount(t, app, "students"); n != studentsBefore {
		t.Errorf("students %d, want %d: a refused request wrote", n, studentsBefore)
	}
}
