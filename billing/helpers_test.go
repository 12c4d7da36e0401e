package billing_test

import (
	"context"
	"net/http/httptest"
	"os"
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

const webhookSecret = "whsec_cedarheights_test"

// env is a fixture academy served over HTTP with billing pointed at the
// stateful stand-in, whose events go to the academy's webhook route.
type env struct {
	t    *testing.T
	app  *tests.TestApp
	f    *testapp.Fixtures
	stub *stripestub.Server
	svc  *billing.Service
	srv  *httptest.Server
	ctx  context.Context
}

// The app is wired like production, so stored events are processed by
// "stripe_event" runs on the workflow engine (started when the app serves).
func newEnv(t *testing.T) *env {
	t.Helper()
	app, f := newApp(t)
	stub := stripestub.New(t)
	stub.WebhookSecret = webhookSecret
	svc := billing.Use(app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: webhookSecret, APIBase: stub.URL})
	srv := testapp.Serve(t, app)
	stub.WebhookURL = srv.URL + "/api/v1/stripe/webhooks"
	t.Cleanup(svc.Flush) // no processing may outlive the app
	return &env{t: t, app: app, f: f, stub: stub, svc: svc, srv: srv, ctx: context.Background()}
}

// newApp is a fixture app whose engine polls quickly and fires no cron
// schedules (the hourly reminders are not billing's).
func newApp(t *testing.T) (*tests.TestApp, *testapp.Fixtures) {
	t.Helper()
	return testapp.New(t, wiring.WithEngineOptions(workflows.Options{
		PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second, ShutdownGrace: time.Second,
		MailInterval: 50 * time.Millisecond, NoSchedules: true,
	}))
}

// deliver sends the stand-in's pending events and waits for processing.
func (e *env) deliver() {
	e.t.Helper()
	if err := e.stub.DeliverPending(); err != nil {
		e.t.Fatal(err)
	}
	e.svc.Flush()
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

func (e *env) record(collection, id string) *core.Record {
	e.t.Helper()
	return testapp.Record(e.t, e.app, collection, id)
}

func (e *env) balance(family string) int64 {
	e.t.Helper()
	balances, err := billing.Balances(e.app, family)
	if err != nil {
		e.t.Fatal(err)
	}
	var total int64
	for _, b := range balances {
		total += b.Amount
	}
	return total
}

// syncPlans gives the fixture plans Stripe prices.
func (e *env) syncPlans() {
	e.t.Helper()
	if _, err := e.svc.SyncPrices(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// subscribeA1 subscribes parent A's enrollment (the fixture's placeholder
// subscription id cleared first) and returns the subscription id.
func (e *env) subscribeA1(trialDays int) string {
	e.t.Helper()
	e.syncPlans()
	enr := e.record("enrollments", e.f.EnrollmentA1)
	enr.Set("stripe_subscription_id", "")
	if err := e.app.Save(enr); err != nil {
		e.t.Fatal(err)
	}
	r, err := e.svc.Subscribe(e.ctx, e.f.EnrollmentA1, billing.SubscribeOptions{TrialDays: trialDays})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.GetString("stripe_subscription_id")
}

func (e *env) eventStatus(eventID string) string {
	e.t.Helper()
	r, err := e.app.FindFirstRecordByData("stripe_events", "event_id", eventID)
	if err != nil {
		e.t.Fatalf("event %s: %v", eventID, err)
	}
	return r.GetString("status")
}

func eventsOf(events []stripestub.Obj, eventType string) []stripestub.Obj {
	var out []stripestub.Obj
	for _, ev := range events {
		if ev["type"] == eventType {
			out = append(out, ev)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
