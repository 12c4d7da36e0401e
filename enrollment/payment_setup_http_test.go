package enrollment_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/enrollment"
	"cedarheights/workflows"
)

// With a trial, Stripe starts the subscription trialing, and a card that
// needs 3-D Secure waits in the subscription's pending_setup_intent
// (requires_action) instead of making it incomplete. The run must count
// that as a payment still being set up: hold the trial slot and wait.

// The family authenticates within the hold: Stripe's signed
// setup_intent.succeeded ends the wait and the enrollment completes, once,
// also when Stripe delivers the events again.
func TestTrialCardAuthenticatedWithinTheHold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvHold, "10m")
	status, body := e.post("/api/v1/enrollments?wait=0", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Rosa"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_threeDSecure2Required"})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	runID := str(body["run"])
	enr := e.waitPayment(runID)
	sub := enr.GetString("stripe_subscription_id")
	seti := e.stub.SetupIntentOf(sub)
	if seti == "" || e.stub.Get(seti)["status"] != "requires_action" {
		t.Fatalf("subscription %s has no SetupIntent waiting for authentication: %v", sub, e.stub.Get(seti))
	}
	e.expectHeld(enr, seti)

	// What Stripe sent so far (subscription created, the SetupIntent
	// created and requiring action) changes nothing.
	if err := e.stub.DeliverPending(); err != nil {
		t.Fatal(err)
	}
	billing.From(e.app).Flush()
	if r, err := workflows.Get(e.app, runID); err != nil || r.Status != workflows.StatusWaiting {
		t.Fatalf("run after the first events: %v %v", r, err)
	}
	enr = e.reload(enr)
	e.expectHeld(enr, seti)

	if !e.stub.ConfirmSetup(seti) {
		t.Fatal("the SetupIntent was not waiting")
	}
	events := e.stub.Pending()
	for _, ev := range events {
		if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != http.StatusOK {
			t.Fatalf("%s: %d %v", ev["type"], code, err)
		}
	}
	run := e.waitRun(runID)
	if run.Status != workflows.StatusCompleted {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	// Stripe delivers again: nothing more happens.
	for _, ev := range events {
		if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != http.StatusOK {
			t.Fatalf("again %s: %d %v", ev["type"], code, err)
		}
	}
	billing.From(e.app).Flush()

	enr = e.reload(enr)
	if enr.GetString("status") != "active" || enr.GetString("stripe_status") != "trialing" || billing.SetupPending(enr) {
		t.Errorf("enrollment %s, Stripe %s, setup intent %q", enr.GetString("status"), enr.GetString("stripe_status"), enr.GetString(billing.SetupIntentField))
	}
	if n := e.count("lessons", dbx.HashExp{"student": enr.GetString("student"), "status": "scheduled"}); n != 1 {
		t.Errorf("%d lessons booked", n)
	}
	if e.stub.Count("subscription") != 1 || e.stub.Get(sub)["status"] != "trialing" {
		t.Errorf("%d subscriptions, ours %v", e.stub.Count("subscription"), e.stub.Get(sub)["status"])
	}
	for _, who := range []string{"family", "teacher", e.f.Admin.ID} {
		if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + enr.Id + ":welcome:" + who}); n != 1 {
			t.Errorf("%d welcome mails for %s", n, who)
		}
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + runID + ":failed"}); n != 0 {
		t.Error("the family was told of a failure")
	}
}

// The family never authenticates: the hold's timer releases the slot and
// compensates, as for a subscription left incomplete.
func TestTrialCardNeverAuthenticatedReleasesTheHold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvHold, "1s")
	status, body := e.post("/api/v1/enrollments?wait=0", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Sami"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_authenticationRequired"})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	run := e.waitRun(str(body["run"]))
	if run.Status != workflows.StatusFailed || !strings.Contains(run.Error, "payment was not set up") {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	e.expectCompensated(run, "payment")
}

// Stripe could not set the card up (the authentication failed): its signed
// setup_intent.setup_failed fails the run, which compensates like a
// declined card and tells the family why.
func TestTrialCardSetupFailedCompensates(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvHold, "10m")
	status, body := e.post("/api/v1/enrollments?wait=0", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Tove"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_threeDSecure2Required"})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	runID := str(body["run"])
	enr := e.waitPayment(runID)
	seti := e.stub.SetupIntentOf(enr.GetString("stripe_subscription_id"))
	e.expectHeld(enr, seti)

	if !e.stub.FailSetup(seti) {
		t.Fatal("the SetupIntent was not waiting")
	}
	if err := e.stub.DeliverPending(); err != nil {
		t.Fatal(err)
	}
	run := e.waitRun(runID)
	if run.Status != workflows.StatusFailed || !strings.Contains(run.Error, "the card could not be set up: We are unable to authenticate") {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	e.expectCompensated(run, "unable to authenticate")
	mail, err := e.app.FindFirstRecordByData("email_outbox", "idempotency_key", "enrollment:"+runID+":failed")
	if err != nil || !strings.Contains(mail.GetString("html"), "unable to authenticate your payment method. Please choose a different payment method and try again.</p>") {
		t.Errorf("the family's mail does not say why: %v %v", mail, err)
	}
}

// expectHeld: the enrollment waits for the SetupIntent with its trial
// lesson booked.
func (e *env) expectHeld(enr *core.Record, seti string) {
	e.t.Helper()
	if enr.GetString("status") != "pending" || enr.GetString("stripe_status") != "trialing" || enr.GetString(billing.SetupIntentField) != seti {
		e.t.Fatalf("enrollment %s, Stripe %s, setup intent %q (want %s)", enr.GetString("status"), enr.GetString("stripe_status"),
			enr.GetString(billing.SetupIntentField), seti)
	}
	if e.count("lessons", dbx.HashExp{"id": enr.GetString("trial_lesson"), "status": "scheduled"}) != 1 {
		e.t.Fatal("the trial lesson is not held")
	}
}

// expectCompensated: the failed run left the enrollment failed with the
// reason, no trial lesson, the subscription cancelled at Stripe and the
// family told once.
func (e *env) expectCompensated(run *workflows.Run, why string) {
	e.t.Helper()
	enr, err := e.app.FindFirstRecordByData("enrollments", "run", run.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if enr.GetString("status") != "failed" || !strings.Contains(enr.GetString("failure_reason"), why) {
		e.t.Errorf("enrollment %s %q", enr.GetString("status"), enr.GetString("failure_reason"))
	}
	if e.count("lessons", dbx.HashExp{"kind": "trial"}) != 0 {
		e.t.Error("the trial lesson is still held")
	}
	var states []any
	for _, sub := range e.stub.All("subscription") {
		states = append(states, sub["status"])
	}
	if len(states) != 1 || states[0] != "canceled" {
		e.t.Errorf("subscriptions at Stripe: %v, want one canceled", states)
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + run.ID + ":failed", "to": e.f.ParentA.Email}); n != 1 {
		e.t.Errorf("the family was told %d times", n)
	}
}

func (e *env) reload(r *core.Record) *core.Record {
	e.t.Helper()
	fresh, err := e.app.FindRecordById(r.Collection().Name, r.Id)
	if err != nil {
		e.t.Fatal(err)
	}
	return fresh
}
