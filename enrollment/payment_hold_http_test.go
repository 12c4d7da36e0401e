package enrollment_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/enrollment"
	"cedarheights/workflows"
)

// A payment setup left pending past ENROLLMENT_HOLD: the durable timer
// fails the run, the trial lesson is released, the enrollment marked
// failed with the reason, the subscription cancelled, the family told once.
func TestPaymentNeverCompletedReleasesTheHold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvHold, "1s")
	status, body := e.post("/api/v1/enrollments?wait=0", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Penny"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_incomplete"})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	run := e.waitRun(str(body["run"]))
	if run.Status != workflows.StatusFailed || !strings.Contains(run.Error, "payment was not set up") {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	enr, err := e.app.FindFirstRecordByData("enrollments", "run", run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if enr.GetString("status") != "failed" || !strings.Contains(enr.GetString("failure_reason"), "payment") {
		t.Errorf("enrollment %s %q", enr.GetString("status"), enr.GetString("failure_reason"))
	}
	if e.count("lessons", dbx.HashExp{"id": enr.GetString("trial_lesson")}) != 0 || e.count("lessons", dbx.HashExp{"kind": "trial"}) != 0 {
		t.Error("the trial lesson is still held")
	}
	var states []any
	for _, sub := range e.stub.All("subscription") {
		states = append(states, sub["status"])
	}
	if len(states) != 1 || states[0] != "canceled" {
		t.Errorf("subscriptions at Stripe: %v, want one canceled", states)
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + run.ID + ":failed", "to": e.f.ParentA.Email}); n != 1 {
		t.Errorf("the family was told %d times", n)
	}
}

// A pending setup completed before the hold ends: Stripe's webhook makes
// the enrollment active, which wakes the run; it completes and the trial
// lesson stays booked.
func TestPaymentCompletedWithinTheHold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvHold, "10m")
	status, body := e.post("/api/v1/enrollments?wait=0", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Quinn"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_incomplete"})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	runID := str(body["run"])
	enr := e.waitPayment(runID)
	if enr.GetString("stripe_status") != "incomplete" || enr.GetString("status") != "pending" {
		t.Fatalf("before the setup: enrollment %s, Stripe %s", enr.GetString("status"), enr.GetString("stripe_status"))
	}

	if !e.stub.Complete(enr.GetString("stripe_subscription_id")) {
		t.Fatal("the subscription was not waiting for its setup")
	}
	if err := e.stub.DeliverPending(); err != nil {
		t.Fatal(err)
	}
	run := e.waitRun(runID)
	if run.Status != workflows.StatusCompleted {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	enr, err := e.app.FindRecordById("enrollments", enr.Id)
	if err != nil {
		t.Fatal(err)
	}
	if enr.GetString("status") != "active" || enr.GetString("stripe_status") != "trialing" {
		t.Errorf("enrollment %s, Stripe %s", enr.GetString("status"), enr.GetString("stripe_status"))
	}
	if e.count("lessons", dbx.HashExp{"id": enr.GetString("trial_lesson"), "status": "scheduled"}) != 1 {
		t.Error("the trial lesson is gone")
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + runID + ":failed"}); n != 0 {
		t.Error("the family was told of a failure")
	}
}

// waitPayment waits until the run waits for its enrollment's payment
// setup and returns the enrollment.
func (e *env) waitPayment(runID string) *core.Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		r, err := workflows.Get(e.app, runID)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.Status.Terminal() {
			e.t.Fatalf("run %s before its payment wait: %s", r.Status, r.Error)
		}
		if r.Status == workflows.StatusWaiting && strings.HasPrefix(r.WaitKey, "enrollment_paid:") {
			enr, err := e.app.FindFirstRecordByData("enrollments", "run", runID)
			if err != nil {
				e.t.Fatal(err)
			}
			if r.WaitKey != enrollment.PaidKey(enr.Id) {
				e.t.Fatalf("run waits for %s", r.WaitKey)
			}
			return enr
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("run %s never waited for the payment", runID)
	return nil
}
