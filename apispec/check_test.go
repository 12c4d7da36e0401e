package apispec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestCheckerCatchesDrift runs stand-in handlers on the described paths and
// expects the checker to flag exactly the ones that do not match.
func TestCheckerCatchesDrift(t *testing.T) {
	scenarios := []struct {
		name, method, path, body string
		handler                  func(*core.RequestEvent) error
		violation                string // "" for none
	}{
		{"described answer", "GET", "/api/v1/health", "",
			func(e *core.RequestEvent) error { return e.JSON(200, map[string]any{"status": "ok"}) }, ""},
		{"answer missing a required field", "GET", "/api/v1/health", "",
			func(e *core.RequestEvent) error { return e.JSON(200, map[string]any{"state": "ok"}) }, "does not match"},
		{"undescribed status", "GET", "/api/v1/health", "",
			func(e *core.RequestEvent) error { return e.JSON(http.StatusTeapot, map[string]any{"status": "ok"}) }, "does not match"},
		{"error in PocketBase's shape", "GET", "/api/v1/students/{id}", "",
			func(e *core.RequestEvent) error { return e.NotFoundError("", nil) }, ""},
		{"error off the shape", "GET", "/api/v1/students/{id}", "",
			func(e *core.RequestEvent) error { return e.JSON(404, map[string]any{"error": "gone"}) }, "does not match"},
		{"undescribed route", "GET", "/api/v1/nowhere", "",
			func(e *core.RequestEvent) error { return e.NoContent(204) }, "not in the description"},
		{"bad request refused", "POST", "/auth/login", `{"email": 1}`,
			func(e *core.RequestEvent) error { return e.BadRequestError("", nil) }, ""},
		{"bad request accepted", "POST", "/auth/login", `{"email": 1}`,
			func(e *core.RequestEvent) error {
				return e.JSON(200, map[string]any{"token": "t", "record": map[string]any{"id": "abcdefghijklmno"}})
			}, "a request the description rejects"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			// A fresh data dir, not PocketBase's sample one: NewTestApp finds
			// that beside its source file, a path -trimpath leaves relative.
			app, err := tests.NewTestApp(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer app.Cleanup()
			checker, err := NewChecker()
			if err != nil {
				t.Fatal(err)
			}
			r, err := apis.NewRouter(app)
			if err != nil {
				t.Fatal(err)
			}
			r.Bind(checker.Middleware())
			r.Route(s.method, s.path, s.handler)
			mux, err := r.BuildMux()
			if err != nil {
				t.Fatal(err)
			}
			url := strings.Replace(s.path, "{id}", "abcdefghijklmno", 1)
			req := httptest.NewRequest(s.method, url, strings.NewReader(s.body))
			req.Header.Set("Content-Type", "application/json")
			mux.ServeHTTP(httptest.NewRecorder(), req)

			got := checker.Violations()
			switch {
			case s.violation == "" && len(got) > 0:
				t.Errorf("want no violation, got %q", got)
			case s.violation != "" && (len(got) != 1 || !strings.Contains(got[0], s.violation)):
				t.Errorf("want one violation with %q, got %q", s.violation, got)
			}
			if checker.Checked() == 0 && s.violation != "not in the description" {
				t.Error("nothing was checked")
			}
		})
	}
}
