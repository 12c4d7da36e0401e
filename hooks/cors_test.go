package hooks_test

import (
	"net/http"
	"slices"
	"testing"

	"cedarheights/cli"
	"cedarheights/internal/testapp"
)

// TestCORSFromConfiguration runs the serve command main.go registers and
// asks it, as a browser would, which origins may call the API.
func TestCORSFromConfiguration(t *testing.T) {
	cases := []struct {
		name    string
		env     string
		args    []string
		allowed []string
		refused []string
	}{
		{"default: the local server only", "", nil,
			[]string{"http://127.0.0.1:8090", "http://localhost:8090"},
			[]string{"https://evil.example", "null"}},
		{"CORS_ORIGINS", "https://academy.example, https://admin.academy.example", nil,
			[]string{"https://academy.example", "https://admin.academy.example"},
			[]string{"https://evil.example", "http://127.0.0.1:8090"}},
		{"--origins beats CORS_ORIGINS", "https://academy.example", []string{"--origins", "https://other.example"},
			[]string{"https://other.example"},
			[]string{"https://academy.example", "https://evil.example"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(cli.CORSOriginsEnv, c.env)
			app, _ := testapp.New(t)
			base := serveForTest(t, app, c.args...)
			for _, origin := range append(c.allowed, c.refused...) {
				allowed := slices.Contains(c.allowed, origin)
				for _, method := range []string{http.MethodGet, http.MethodOptions} {
					req, _ := http.NewRequest(method, base+"/api/collections/instruments/records", nil)
					req.Header.Set("Origin", origin)
					if method == http.MethodOptions {
						req.Header.Set("Access-Control-Request-Method", http.MethodGet)
					}
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					got := res.Header.Get("Access-Control-Allow-Origin")
					if allowed && got != origin || !allowed && got != "" {
						t.Errorf("%s from %s: Access-Control-Allow-Origin = %q (allowed: %v)", method, origin, got, allowed)
					}
					// Preflights carry our headers too.
					if res.Header.Get("X-Request-Id") == "" || res.Header.Get("X-Frame-Options") != "DENY" {
						t.Errorf("%s from %s: missing edge headers %v", method, origin, res.Header)
					}
				}
			}
		})
	}
}
