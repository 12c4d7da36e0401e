package hooks_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"cedarheights/hooks"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// TestRoutesTable asks the running router about every line of the routes
// table: the route exists (no 404 or 405 from the router), a signed-in
// route refuses an anonymous caller with 401, and a body over the line's
// limit is a 413. So the table is what the server serves.
func TestRoutesTable(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	srv := testapp.Serve(t, app)
	seen := map[string]bool{}
	for _, r := range wiring.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("%s is in the table twice", key)
		}
		seen[key] = true
		path := strings.NewReplacer("{id}", "nosuchrecord01", "{file}", "nosuchfeed.ics").Replace(r.Path)

		res := routeCall(t, r.Method, srv.URL+path, "")
		switch {
		case r.Who == hooks.SignedIn && res != http.StatusUnauthorized:
			t.Errorf("%s anonymous: %d, want 401", key, res)
		case res == http.StatusMethodNotAllowed || (res == http.StatusNotFound && !strings.Contains(r.Path, "{")):
			t.Errorf("%s: %d, the route is not served", key, res)
		}
		if r.Body > 0 && r.Method != http.MethodGet {
			if got := routeCall(t, r.Method, srv.URL+path, strings.Repeat(" ", int(r.Body)+1)); got != http.StatusRequestEntityTooLarge {
				t.Errorf("%s with %d bytes: %d, want 413", key, r.Body+1, got)
			}
		}
	}
}

func routeCall(t *testing.T, method, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
