package opsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/billing"
	"cedarheights/hooks/opsapi"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

type healthBody struct {
	Status   string            `json:"status"`
	Checks   map[string]string `json:"checks"`
	Failing  []string          `json:"failing"`
	Degraded []string          `json:"degraded"`
	Mail     *struct {
		Transport            string `json:"transport"`
		Pending              int    `json:"pending"`
		OldestPendingSeconds int64  `json:"oldest_pending_seconds"`
	} `json:"mail"`
}

// TestHealth, as an admin: every check, 503 when one fails, 200 "degraded"
// when mail is not leaving.
func TestHealth(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		sendmail string // the sendmail binary the check sees; "" none
		before   func(t testing.TB, app *tests.TestApp)
		status   int
		overall  string
		checks   map[string]string // exact values
		prefix   map[string]string // values that start with
		failed   []string
		degraded []string
		pending  int
		oldest   time.Duration // at least
	}{
		{
			name:   "healthy, offline, SMTP",
			before: func(t testing.TB, app *tests.TestApp) { enableSMTP(t, app) },
			status: 200, overall: "ok",
			checks: map[string]string{"database": "ok", "aux_database": "ok", "billing": "offline", "mail": "smtp",
				"billing_webhooks": "refused (STRIPE_WEBHOOK_SECRET not set)"},
			prefix: map[string]string{"migrations": "ok: "},
		},
		{
			name:     "no SMTP, sendmail on the machine",
			sendmail: "/usr/sbin/sendmail",
			status:   200, overall: "ok",
			checks: map[string]string{"mail": "sendmail (/usr/sbin/sendmail)"},
		},
		{
			name:   "no SMTP, no sendmail, nothing queued",
			status: 200, overall: "degraded",
			checks:   map[string]string{"database": "ok", "mail": "degraded: none: no SMTP settings and no sendmail binary; 0 pending"},
			degraded: []string{"mail"},
		},
		{
			name: "no SMTP, no sendmail, two messages waiting",
			before: func(t testing.TB, app *tests.TestApp) {
				queueMail(t, app, "m1", 2*time.Hour)
				queueMail(t, app, "m2", time.Minute)
			},
			status: 200, overall: "degraded",
			prefix:   map[string]string{"mail": "degraded: none: no SMTP settings and no sendmail binary; 2 pending, the oldest for 2h"},
			degraded: []string{"mail"},
			pending:  2, oldest: 2 * time.Hour,
		},
		{
			name: "SMTP, a message pending for 20 minutes",
			before: func(t testing.TB, app *tests.TestApp) {
				enableSMTP(t, app)
				queueMail(t, app, "m1", 20*time.Minute)
			},
			status: 200, overall: "degraded",
			prefix:   map[string]string{"mail": "degraded: mail is not leaving through smtp; 1 pending, the oldest for 20m"},
			degraded: []string{"mail"},
			pending:  1, oldest: 20 * time.Minute,
		},
		{
			name: "SMTP, a message queued a minute ago",
			before: func(t testing.TB, app *tests.TestApp) {
				enableSMTP(t, app)
				queueMail(t, app, "m1", time.Minute)
			},
			status: 200, overall: "ok",
			checks:  map[string]string{"mail": "smtp"},
			pending: 1, oldest: time.Minute,
		},
		{
			name:   "Stripe key and webhook secret configured",
			env:    map[string]string{billing.EnvSecretKey: "sk_test_1", billing.EnvAPIBase: "http://127.0.0.1:12111", billing.EnvWebhookSecret: "whsec_1"},
			before: func(t testing.TB, app *tests.TestApp) { enableSMTP(t, app) },
			status: 200, overall: "ok",
			checks: map[string]string{"billing": "online", "billing_webhooks": "signed deliveries accepted"},
		},
		{
			name:   "a migration not applied",
			before: func(t testing.TB, app *tests.TestApp) { forgetMigration(t, app, "1764100001_app_settings.go") },
			status: 503, overall: "unavailable",
			checks:   map[string]string{"database": "ok", "billing": "offline"},
			prefix:   map[string]string{"migrations": "error: 1 pending: 1764100001_app_settings.go"},
			failed:   []string{"migrations"},
			degraded: []string{"mail"},
		},
		{
			name:   "billing misconfigured",
			env:    map[string]string{billing.EnvSecretKey: "sk_test_1", billing.EnvAPIBase: "stripe-mock:12111"},
			status: 503, overall: "unavailable",
			prefix:   map[string]string{"billing": "error: " + billing.EnvAPIBase},
			failed:   []string{"billing"},
			degraded: []string{"mail"},
		},
	}
	f := testapp.Get(t)
	for _, c := range cases {
		// Both addresses ask one app, set up once for the case.
		healthEnv(t, c.env)
		opsapi.UseSendmail(t, c.sendmail)
		// No outbox sender: the queued messages stay as the case put them.
		app := testapp.FactoryWith(wiring.WithEngineOptions(workflows.Options{NoMail: true}))(t)
		mux := testapp.Handler(t, app)
		if c.before != nil {
			c.before(t, app)
		}
		for _, url := range []string{"/health", "/api/v1/health"} {
			t.Run(c.name+" "+url, func(t *testing.T) {
				testapp.Ask(t, app, mux, tests.ApiScenario{
					Method: http.MethodGet, URL: url, Headers: apiAs(f.Admin), ExpectedStatus: c.status,
					ExpectedContent: []string{`"checks":`},
					AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
						var body healthBody
						raw, _ := io.ReadAll(res.Body)
						if err := json.Unmarshal(raw, &body); err != nil {
							t.Fatal(err)
						}
						if body.Status != c.overall {
							t.Errorf("status = %q, want %q", body.Status, c.overall)
						}
						for k, v := range c.checks {
							if body.Checks[k] != v {
								t.Errorf("checks.%s = %q, want %q", k, body.Checks[k], v)
							}
						}
						for k, v := range c.prefix {
							if got := body.Checks[k]; !strings.HasPrefix(got, v) {
								t.Errorf("checks.%s = %q, want it to start with %q", k, got, v)
							}
						}
						if !slices.Equal(body.Failing, c.failed) {
							t.Errorf("failing = %v, want %v", body.Failing, c.failed)
						}
						if !slices.Equal(body.Degraded, c.degraded) {
							t.Errorf("degraded = %v, want %v", body.Degraded, c.degraded)
						}
						if body.Mail == nil || body.Mail.Pending != c.pending ||
							time.Duration(body.Mail.OldestPendingSeconds)*time.Second < c.oldest ||
							(c.pending == 0 && body.Mail.OldestPendingSeconds != 0) {
							t.Errorf("mail = %+v, want %d pending, the oldest at least %s", body.Mail, c.pending, c.oldest)
						}
						if res.Header.Get("Cache-Control") != "no-store" {
							t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
						}
					},
				})
			})
		}
		app.Cleanup()
	}
}

// TestHealthDetailsForAdminsOnly: anyone else learns the overall status
// and nothing more, whatever it is.
func TestHealthDetailsForAdminsOnly(t *testing.T) {
	f := testapp.Get(t)
	states := []struct {
		name     string
		sendmail string
		before   func(t testing.TB, app *tests.TestApp)
		status   int
		overall  string
	}{
		{"ok", "/usr/sbin/sendmail", nil, 200, "ok"},
		{"degraded", "", nil, 200, "degraded"},
		{"unavailable", "/usr/sbin/sendmail", func(t testing.TB, app *tests.TestApp) {
			forgetMigration(t, app, "1764100001_app_settings.go")
		}, 503, "unavailable"},
	}
	callers := []struct {
		name    string
		headers map[string]string
		details bool
	}{
		{"anonymous", nil, false},
		{"parent", apiAs(f.ParentA), false},
		{"teacher", apiAs(f.TeacherXUser), false},
		{"admin", apiAs(f.Admin), true},
		{"superuser", apiAs(f.Superuser), true},
	}
	healthEnv(t, nil)
	for _, s := range states {
		// Every caller asks one app, set up once for the state.
		opsapi.UseSendmail(t, s.sendmail)
		app := testapp.Factory(t)
		mux := testapp.Handler(t, app)
		if s.before != nil {
			s.before(t, app)
		}
		for _, c := range callers {
			t.Run(s.name+" "+c.name, func(t *testing.T) {
				testapp.Ask(t, app, mux, tests.ApiScenario{
					Method: http.MethodGet, URL: "/api/v1/health", Headers: c.headers, ExpectedStatus: s.status,
					ExpectedContent: []string{`"status":"` + s.overall + `"`},
					AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
						var body map[string]json.RawMessage
						if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
							t.Fatal(err)
						}
						_, hasChecks := body["checks"]
						if hasChecks != c.details || (!c.details && len(body) != 1) {
							t.Errorf("body has keys %v; details wanted: %v", slices.Sorted(maps.Keys(body)), c.details)
						}
					},
				})
			})
		}
		app.Cleanup()
	}
}

// healthEnv clears the billing variables, then sets env, for the test.
func healthEnv(t *testing.T, env map[string]string) {
	t.Setenv(billing.EnvSecretKey, "")
	t.Setenv(billing.EnvWebhookSecret, "")
	t.Setenv(billing.EnvAPIBase, "")
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// queueMail puts a pending message in the outbox, queued age ago.
func queueMail(t testing.TB, app core.App, key string, age time.Duration) {
	t.Helper()
	id, err := workflows.EnqueueMail(app, workflows.Mail{To: []string{"a@cedarheights.test"}, Subject: "s", Text: "t", IdempotencyKey: key})
	if err != nil {
		t.Fatal(err)
	}
	queued := types.NowDateTime().Add(-age).String()
	if _, err := app.DB().Update("email_outbox", dbx.Params{"created": queued}, dbx.HashExp{"id": id}).Execute(); err != nil {
		t.Fatal(err)
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

// A monitor that gave up mid-check: the health route writes no 503 to
// nobody and logs no failed check; it returns the cancellation, which
// hooks/client_gone.go turns into an unanswered request. A caller that
// is still there gets its answer.
func TestHealthForAClientThatLeft(t *testing.T) {
	app, _ := testapp.New(t)
	for _, c := range []struct {
		name string
		gone bool
	}{{"client gone", true}, {"client there", false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.gone {
				cancel()
			}
			rec := httptest.NewRecorder()
			e := &core.RequestEvent{App: app}
			e.Request = httptest.NewRequest(http.MethodGet, "/api/v1/health", nil).WithContext(ctx)
			e.Response = rec
			err := opsapi.Health(e)
			switch {
			case c.gone && (!errors.Is(err, context.Canceled) || rec.Body.Len() != 0):
				t.Fatalf("client gone: error %v, answer %d %q; want context.Canceled and nothing written", err, rec.Code, rec.Body)
			case !c.gone && (err != nil || rec.Code != http.StatusOK):
				t.Fatalf("client there: error %v, answer %d %q", err, rec.Code, rec.Body)
			}
		})
	}
}
