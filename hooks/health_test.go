package hooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/billing"
	"cedarheights/internal/testapp"
)

type healthBody struct {
	Status  string            `json:"status"`
	Checks  map[string]string `json:"checks"`
	Failing []string          `json:"failing"`
}

func TestHealth(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		before func(t testing.TB, app *tests.TestApp)
		status int
		checks map[string]string // exact values
		prefix map[string]string // values that start with
		failed []string
	}{
		{
			name:   "healthy, offline, no SMTP",
			status: 200,
			checks: map[string]string{"database": "ok", "aux_database": "ok", "billing": "offline",
				"mail": "not configured (PocketBase falls back to sendmail)"},
			prefix: map[string]string{"migrations": "ok: "},
		},
		{
			name:   "Stripe key and SMTP configured",
			env:    map[string]string{billing.EnvSecretKey: "sk_test_1", billing.EnvAPIBase: "http://127.0.0.1:12111"},
			before: func(t testing.TB, app *tests.TestApp) { enableSMTP(t, app) },
			status: 200,
			checks: map[string]string{"billing": "online", "mail": "smtp"},
		},
		{
			name:   "a migration not applied",
			before: func(t testing.TB, app *tests.TestApp) { forgetMigration(t, app, "1764100001_app_settings.go") },
			status: 503,
			checks: map[string]string{"database": "ok", "billing": "offline"},
			prefix: map[string]string{"migrations": "error: 1 pending: 1764100001_app_settings.go"},
			failed: []string{"migrations"},
		},
		{
			name:   "billing misconfigured",
			env:    map[string]string{billing.EnvSecretKey: "sk_test_1", billing.EnvAPIBase: "stripe-mock:12111"},
			status: 503,
			prefix: map[string]string{"billing": "error: " + billing.EnvAPIBase},
			failed: []string{"billing"},
		},
	}
	for _, c := range cases {
		for _, url := range []string{"/health", "/api/v1/health"} {
			t.Run(c.name+" "+url, func(t *testing.T) {
				t.Setenv(billing.EnvSecretKey, "")
				t.Setenv(billing.EnvWebhookSecret, "")
				t.Setenv(billing.EnvAPIBase, "")
				for k, v := range c.env {
					t.Setenv(k, v)
				}
				(&tests.ApiScenario{
					Method: http.MethodGet, URL: url, ExpectedStatus: c.status,
					ExpectedContent: []string{`"checks":`},
					TestAppFactory:  testapp.Factory,
					BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
						if c.before != nil {
							c.before(t, app)
						}
					},
					AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
						var body healthBody
						raw, _ := io.ReadAll(res.Body)
						if err := json.Unmarshal(raw, &body); err != nil {
							t.Fatal(err)
						}
						wantStatus := "ok"
						if c.status != 200 {
							wantStatus = "unavailable"
						}
						if body.Status != wantStatus {
							t.Errorf("status = %q, want %q", body.Status, wantStatus)
						}
						for k, v := range c.checks {
							if body.Checks[k] != v {
								t.Errorf("checks.%s = %q, want %q", k, body.Checks[k], v)
							}
						}
						for k, v := range c.prefix {
							if got := body.Checks[k]; len(got) < len(v) || got[:len(v)] != v {
								t.Errorf("checks.%s = %q, want it to start with %q", k, got, v)
							}
						}
						if len(body.Failing) != len(c.failed) || (len(c.failed) > 0 && body.Failing[0] != c.failed[0]) {
							t.Errorf("failing = %v, want %v", body.Failing, c.failed)
						}
						if res.Header.Get("Cache-Control") != "no-store" {
							t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
						}
					},
				}).Test(t)
			})
		}
	}
}

func enableSMTP(t testing.TB, app core.App) {
	t.Helper()
	s := app.Settings()
	s.SMTP.Enabled = true
	s.SMTP.Host = "127.0.0.1"
	s.SMTP.Port = 1025
}

func forgetMigration(t testing.TB, app core.App, file string) {
	t.Helper()
	res, err := app.DB().Delete(core.DefaultMigrationsTable, dbx.HashExp{"file": file}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows deleted", file, n)
	}
}
