package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"cedarheights/hooks"
	"cedarheights/internal/testapp"
)

// TestRateLimitDefaults: the stored settings (our settings migration) turn
// the limiter on; a client gets 429 once it passes a rule's budget, and the
// 429 carries the edge headers.
func TestRateLimitDefaults(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		budget                   int // requests allowed per window
		status                   int // their status
	}{
		{"PocketBase password login (*:auth)", http.MethodPost, "/api/collections/users/auth-with-password",
			`{"identity":"nobody@cedarheights.test","password":"wrong-password"}`, 10, 400},
		{"our /auth/login", http.MethodPost, "/auth/login",
			`{"email":"nobody@cedarheights.test","password":"wrong-password"}`, 10, 0},
		{"self sign-up (users:create, guests)", http.MethodPost, "/api/collections/users/records", `{}`, 5, 400},
		{"public catalogue", http.MethodGet, "/api/v1/public/pricing", "", 60, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, _ := testapp.New(t)
			app.Settings().RateLimits.Enabled = true // as stored; testapp turns it off
			base := serveForTest(t, app)
			send := func() *http.Response {
				req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
				if c.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res
			}
			for i := 0; i < c.budget; i++ {
				res := send()
				if res.StatusCode == http.StatusTooManyRequests || (c.status != 0 && res.StatusCode != c.status) {
					t.Fatalf("request %d: status %d, want %d", i+1, res.StatusCode, c.status)
				}
			}
			res := send()
			if res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("request %d: status %d, want 429", c.budget+1, res.StatusCode)
			}
			if res.Header.Get(hooks.RequestIDHeader) == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("429 without edge headers: %v", res.Header)
			}
		})
	}
}

func TestRateLimitSwitch(t *testing.T) {
	app, _ := testapp.New(t)
	if app.Settings().RateLimits.Enabled {
		t.Fatal("testapp apps should start with the limiter off")
	}

	t.Setenv(hooks.RateLimitEnv, "")
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	s := app.Settings()
	if !s.RateLimits.Enabled || len(s.RateLimits.Rules) == 0 {
		t.Fatalf("stored settings: limiter enabled %v with %d rules", s.RateLimits.Enabled, len(s.RateLimits.Rules))
	}
	if s.Meta.AppName != "Cedar Heights Music Academy" || s.Logs.MaxDays != 14 {
		t.Fatalf("stored settings: app name %q, logs kept %d days", s.Meta.AppName, s.Logs.MaxDays)
	}

	t.Setenv(hooks.RateLimitEnv, "OFF")
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	if app.Settings().RateLimits.Enabled {
		t.Fatal("ACADEMY_RATE_LIMIT=off left the limiter on")
	}
	// Nothing was stored: without the switch the limiter is back on.
	t.Setenv(hooks.RateLimitEnv, "")
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	if !app.Settings().RateLimits.Enabled {
		t.Fatal("the switch changed the stored settings")
	}
}
