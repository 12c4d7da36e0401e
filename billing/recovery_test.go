package billing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
	"cedarheights/workflows"
)

// A failure while processing is recorded on the event (error, attempts)
// and answered 200 all the same; `billing reprocess` finishes the job.
func TestReprocessFailedEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribeA1(0)
	broken := true
	e.app.OnRecordCreate("payments").BindFunc(func(ev *core.RecordEvent) error {
		if broken {
			return errors.New("disk full")
		}
		return ev.Next()
	})
	e.deliver()
	// The event's run retries on its own schedule; with the engine stopped
	// the reprocess below is the only retry, however slow the machine.
	workflows.EngineOf(e.app).Stop()
	paid := eventsOf(e.stub.Events(), "invoice.paid")[0]["id"].(string)
	rec, _ := e.app.FindFirstRecordByData("stripe_events", "event_id", paid)
	attempts := rec.GetInt("attempts")
	if rec.GetString("status") != billing.EventFailed || attempts < 1 || rec.GetString("error") == "" {
		t.Fatalf("failed event %v", rec.FieldsData())
	}
	if n := e.count("ledger_entries", nil); n != 0 {
		t.Fatalf("a failed event left %d entries", n)
	}

	broken = false
	rep, err := e.svc.Reprocess(e.ctx, false)
	if err != nil || rep.EventsProcessed != 1 || rep.EventsFailed != 0 {
		t.Fatalf("reprocess %+v %v", rep, err)
	}
	rec, _ = e.app.FindFirstRecordByData("stripe_events", "event_id", paid)
	if rec.GetString("status") != billing.EventProcessed || rec.GetInt("attempts") != attempts+1 {
		t.Errorf("after reprocess %v", rec.FieldsData())
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 || e.count("ledger_entries", nil) != 2 {
		t.Errorf("balance %d", b)
	}
	// Nothing left to do.
	rep, _ = e.svc.Reprocess(e.ctx, true)
	if rep.EventsProcessed != 0 {
		t.Errorf("second reprocess %+v", rep)
	}
}

// Missed webhooks: resync lists Stripe's events, stores the missing ones
// once, processes them in order, and re-reads the subscriptions.
func TestResyncAfterMissedWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.subscribeA1(0)
	e.deliver()
	e.stub.Decline(e.record("enrollments", e.f.EnrollmentA1).GetString("stripe_customer_id"), "expired_card")
	invoice := e.stub.Renew(sub)
	for i := 2; i <= stripestub.MaxAttempts; i++ {
		e.stub.Retry(invoice)
	}
	missed := e.stub.Pending() // the endpoint was down
	if len(missed) == 0 {
		t.Fatal("no events")
	}
	if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "active" {
		t.Fatalf("before resync %s", s)
	}

	rep, err := e.svc.Resync(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if rep.EventsFailed != 0 || rep.Subscriptions != 1 || len(rep.Errors) != 0 {
		t.Fatalf("resync %+v", rep)
	}
	if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "past_due" {
		t.Errorf("after resync %s, want past_due", s)
	}
	if n := e.count("billing_notices", dbx.HashExp{"kind": billing.NoticePastDue}); n != 1 {
		t.Errorf("%d admin notices", n)
	}
	// The late deliveries of the same events change nothing.
	stored := e.count("stripe_events", nil)
	for _, ev := range missed {
		if code, _ := e.stub.Deliver(ev, stripestub.Delivery{}); code != 200 {
			t.Fatalf("late delivery %d", code)
		}
	}
	e.svc.Flush()
	if n := e.count("stripe_events", nil); n != stored {
		t.Errorf("late deliveries stored %d more events", n-stored)
	}
	again, err := e.svc.Resync(e.ctx, zeroTime)
	if err != nil || again.EventsStored != 0 {
		t.Errorf("second resync %+v %v", again, err)
	}
}

// Events stored but never processed (the process stopped after answering)
// are dispatched again when the app serves.
func TestStoredEventsAreRequeuedOnServe(t *testing.T) {
	t.Parallel()
	app, f := newApp(t)
	stub := stripestub.New(t)
	stub.WebhookSecret = webhookSecret
	svc := billing.Use(app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: webhookSecret, APIBase: stub.URL})
	e := &env{t: t, app: app, f: f, stub: stub, svc: svc, ctx: context.Background()}
	e.subscribeA1(0)
	events := stub.Pending()
	// Stored without dispatching, as a crash right after the answer leaves them.
	for _, ev := range events {
		payload, header := stub.Sign(ev, stripestub.Delivery{})
		if _, err := svc.Ingest(payload, header); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count("stripe_events", dbx.HashExp{"status": billing.EventReceived}); n != len(events) {
		t.Fatalf("%d received", n)
	}
	testapp.Serve(t, app) // the restart
	svc.Flush()
	if n := e.count("stripe_events", dbx.HashExp{"status": billing.EventReceived}); n != 0 {
		t.Errorf("%d still received", n)
	}
	if n := e.count("payments", dbx.HashExp{"family": f.ParentA.ID, "method": "stripe", "status": "succeeded", "kind": "tuition"}); n != 2 {
		t.Errorf("%d paid tuition payments, want the fixture's and the new invoice's", n)
	}
	if b := e.balance(f.ParentA.ID); b != 0 {
		t.Errorf("balance %d", b)
	}
}
