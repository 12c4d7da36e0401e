package enrollment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// env is the fixture academy served over HTTP, billing online against the
// stateful Stripe stand-in (plans synced to prices), its engine quick.
type env struct {
	t    *testing.T
	app  *tests.TestApp
	f    *testapp.Fixtures
	stub *stripestub.Server
	url  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, "", "")
}

// envMu: the enrollment workflow reads its waits (enrollment.EnvHold,
// EnvConfirmTimeout) from the environment when it is registered. A test
// that sets one holds envMu across its registration only, instead of
// t.Setenv for the whole test, so the tests that set them run in parallel
// too and none registers with another's value.
var envMu sync.Mutex

// newEnvWith is newEnv with the environment variable name set to value
// while the workflow is registered (name "" sets none).
func newEnvWith(t *testing.T, name, value string) *env {
	t.Helper()
	app, f := func() (*tests.TestApp, *testapp.Fixtures) {
		envMu.Lock()
		defer envMu.Unlock()
		if name != "" {
			old, had := os.LookupEnv(name)
			os.Setenv(name, value)
			defer func() {
				if had {
					os.Setenv(name, old)
				} else {
					os.Unsetenv(name)
				}
			}()
		}
		return testapp.New(t, wiring.WithEngineOptions(workflows.Options{
			Workers: 4, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
			ShutdownGrace: time.Second, MailInterval: 50 * time.Millisecond, NoSchedules: true,
		}))
	}()
	stub := stripestub.New(t)
	stub.WebhookSecret = "whsec_enrollment_test"
	svc := billing.Use(app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: stub.WebhookSecret, APIBase: stub.URL})
	if _, err := svc.SyncPrices(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := testapp.Serve(t, app)
	stub.WebhookURL = srv.URL + "/api/v1/stripe/webhooks"
	t.Cleanup(svc.Flush)
	return &env{t: t, app: app, f: f, stub: stub, url: srv.URL}
}

// post sends body as JSON with the token (none when "") and decodes the
// answer.
func (e *env) post(path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return e.do(req)
}

func (e *env) get(path, token string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	out["_raw"] = string(raw)
	return res.StatusCode, out
}

func (e *env) count(collection string, where dbx.Expression) int {
	e.t.Helper()
	var n int
	q := e.app.DB().Select("COUNT(*)").From(collection)
	if where != nil {
		q.Where(where)
	}
	if err := q.Row(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitRun polls the run until it ends.
func (e *env) waitRun(id string) *workflows.Run {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := workflows.Await(ctx, e.app, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if !r.Status.Terminal() {
		e.t.Fatalf("run %s still %s", id, r.Status)
	}
	return r
}

// student is a valid student for piano with teacher X's Monday.
func student(first string) map[string]any {
	return map[string]any{"first_name": first, "last_name": "Test", "birth_date": "2016-05-01", "instrument": "", "level": "beginner"}
}

// trialAt is a trial slot with teacher X on the fixture Monday.
func (e *env) trialAt(minutesAfter16 int) map[string]any {
	return map[string]any{"teacher": e.f.TeacherX, "start": testapp.NextMonday().Add(time.Duration(minutesAfter16) * time.Minute).Format(time.RFC3339)}
}

func (e *env) pianoStudent(first string) map[string]any {
	s := student(first)
	s["instrument"] = e.f.Piano
	return s
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func newRecord(c *core.Collection, data map[string]any) *core.Record {
	r := core.NewRecord(c)
	r.Load(data)
	return r
}
