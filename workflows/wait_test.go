package workflows_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/workflows"
)

// payState: a payment waits for the provider's webhook.
type payState struct {
	Invoice string `json:"invoice"`
	Paid    int    `json:"paid"`
	Outcome string `json:"outcome"`
}

func payFlow(timeout time.Duration) *workflows.Workflow[string, payState] {
	return workflows.Define("pay", 1, func(invoice string) payState { return payState{Invoice: invoice} },
		workflows.Task("send", func(*workflows.Step[payState]) error { return nil }).Then("webhook"),
		workflows.Wait("webhook", func(s *payState) string { return "invoice:" + s.Invoice }, timeout).
			OnEvent(func(s *payState, ev workflows.Event) error {
				var body struct {
					Amount int `json:"amount"`
				}
				if err := json.Unmarshal(ev.Payload, &body); err != nil {
					return err
				}
				s.Paid = body.Amount
				return nil
			}).Then("paid").OnTimeout("chase"),
		workflows.Task("paid", func(s *workflows.Step[payState]) error { s.State.Outcome = "paid"; return nil }),
		workflows.Task("chase", func(s *workflows.Step[payState]) error { s.State.Outcome = "chased"; return nil }),
	)
}

func outcome(t *testing.T, r *workflows.Run) payState {
	t.Helper()
	var s payState
	if err := json.Unmarshal(r.State, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWaitSatisfiedBySignal(t *testing.T) {
	flow := payFlow(time.Minute)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, "in_1", workflows.StartOptions{})
	waiting := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusWaiting)
	if waiting.WaitKey != "invoice:in_1" || waiting.LeaseOwner != "" || waiting.WaitDeadline.Before(time.Now().Add(50*time.Second)) {
		t.Fatalf("waiting run: key %q lease %q deadline %v", waiting.WaitKey, waiting.LeaseOwner, waiting.WaitDeadline)
	}
	res, err := workflows.Signal(app, "invoice:in_1", map[string]int{"amount": 14000}, workflows.SignalOptions{EventID: "evt_1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Woken, []string{run.ID}) || res.Duplicate {
		t.Errorf("signal result %+v", res)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if s := outcome(t, done); s.Outcome != "paid" || s.Paid != 14000 {
		t.Errorf("state %+v", s)
	}
	// A redelivery of the same event changes nothing.
	again, err := workflows.Signal(app, "invoice:in_1", map[string]int{"amount": 14000}, workflows.SignalOptions{EventID: "evt_1"})
	if err != nil || !again.Duplicate || again.ID != res.ID {
		t.Errorf("redelivery: %+v, %v", again, err)
	}
	n, _ := app.CountRecords("workflow_events", dbx.HashExp{"event_id": "evt_1"})
	consumed, _ := app.CountRecords("workflow_events", dbx.HashExp{"event_id": "evt_1", "consumed_by": run.ID, "consumed_node": "webhook"})
	if n != 1 || consumed != 1 {
		t.Errorf("%d events stored, %d consumed by the run; want 1 and 1", n, consumed)
	}
}

func TestWaitTimesOut(t *testing.T) {
	flow := payFlow(150 * time.Millisecond)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, "in_2", workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if s := outcome(t, done); s.Outcome != "chased" {
		t.Errorf("state %+v, want the timeout branch", s)
	}
	steps, _ := workflows.Steps(app, run.ID)
	if len(steps) != 3 || steps[1].Node != "webhook" || string(steps[1].Output) == "null" {
		t.Fatalf("steps %+v", steps)
	}
	var out map[string]any
	json.Unmarshal(steps[1].Output, &out)
	if out["timed_out"] != true {
		t.Errorf("wait step output %s", steps[1].Output)
	}
	// A late event waits in the inbox for nobody.
	res, _ := workflows.Signal(app, "invoice:in_2", map[string]int{"amount": 1})
	if len(res.Woken) != 0 {
		t.Errorf("late event woke %v", res.Woken)
	}
}

func TestEventBeforeTheWaitIsConsumed(t *testing.T) {
	flow := payFlow(time.Minute)
	app, _ := newEngine(t, registry(t, flow))
	if _, err := workflows.Signal(app, "invoice:in_3", map[string]int{"amount": 500}); err != nil {
		t.Fatal(err)
	}
	run, _ := workflows.Start(app, flow, "in_3", workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if s := outcome(t, done); s.Outcome != "paid" || s.Paid != 500 {
		t.Errorf("state %+v, want the stored event consumed", s)
	}
	// One event satisfies one wait: a second run on the same key waits.
	second, _ := workflows.Start(app, flow, "in_3", workflows.StartOptions{})
	waitFor(t, app, second.ID, 5*time.Second, workflows.StatusWaiting)
}

func TestSleepIsADurableTimer(t *testing.T) {
	type alarm struct {
		At   time.Time `json:"at"`
		Rang bool      `json:"rang"`
	}
	flow := workflows.Define("alarm", 1, func(at time.Time) alarm { return alarm{At: at} },
		workflows.Sleep("sleep", func(s *alarm) time.Time { return s.At }).Then("ring"),
		workflows.Task("ring", func(s *workflows.Step[alarm]) error { s.State.Rang = true; return nil }),
	)
	reg := registry(t, flow)
	app, eng := newEngine(t, reg)
	at := time.Now().Add(1500 * time.Millisecond)
	run, _ := workflows.Start(app, flow, at, workflows.StartOptions{})
	sleeping := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusSleeping)
	if sleeping.WakeAt.Sub(at).Abs() > time.Millisecond || sleeping.LeaseOwner != "" {
		t.Errorf("sleeping run wakes at %v (want %v), lease %q", sleeping.WakeAt, at, sleeping.LeaseOwner)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if done.Finished.Before(at) {
		t.Errorf("finished %v before the timer %v", done.Finished, at)
	}

	// A timer that fell due while no engine ran fires once on restart.
	eng.Stop()
	past := time.Now().Add(200 * time.Millisecond)
	run2, err := workflows.Start(app, flow, past, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if r, _ := workflows.Get(app, run2.ID); r.Status != workflows.StatusPending {
		t.Fatalf("with no engine running the run is %s", r.Status)
	}
	restarted := workflows.NewEngine(app, testOptions(reg))
	if err := restarted.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restarted.Stop)
	waitFor(t, app, run2.ID, 5*time.Second, workflows.StatusCompleted)
	steps, _ := workflows.Steps(app, run2.ID)
	fired := 0
	for _, s := range steps {
		if s.Node == "sleep" {
			fired++
		}
	}
	if fired != 1 || len(steps) != 2 {
		t.Errorf("timer fired %d times; steps %d", fired, len(steps))
	}
}

// A wait's Until ends it at a time taken from the run's state when that
// comes before its timeout; a later one leaves the timeout in force.
func TestWaitUntilComesFromTheState(t *testing.T) {
	type offer struct {
		Closes  time.Time `json:"closes"`
		Outcome string    `json:"outcome"`
	}
	flow := workflows.Define("offer", 1, func(closes time.Time) offer { return offer{Closes: closes} },
		workflows.Wait("answer", func(s *offer) string { return "offer:" + s.Closes.String() }, time.Hour).
			Until(func(s *offer) time.Time { return s.Closes }).Then("taken").OnTimeout("closed"),
		workflows.Task("taken", func(s *workflows.Step[offer]) error { s.State.Outcome = "taken"; return nil }),
		workflows.Task("closed", func(s *workflows.Step[offer]) error { s.State.Outcome = "closed"; return nil }),
	)
	app, _ := newEngine(t, registry(t, flow))

	soon := time.Now().Add(300 * time.Millisecond).Truncate(time.Millisecond)
	run, _ := workflows.Start(app, flow, soon, workflows.StartOptions{})
	waiting := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusWaiting, workflows.StatusCompleted)
	if waiting.Status == workflows.StatusWaiting && !waiting.WaitDeadline.Equal(soon) {
		t.Errorf("deadline %v, want the state's %v", waiting.WaitDeadline, soon)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	var s offer
	json.Unmarshal(done.State, &s)
	if s.Outcome != "closed" {
		t.Errorf("outcome %q, want the wait closed at the state's time", s.Outcome)
	}

	late := time.Now().Add(48 * time.Hour)
	run2, _ := workflows.Start(app, flow, late, workflows.StartOptions{})
	waiting = waitFor(t, app, run2.ID, 5*time.Second, workflows.StatusWaiting)
	if waiting.WaitDeadline.After(time.Now().Add(time.Hour)) {
		t.Errorf("deadline %v is past the one-hour timeout", waiting.WaitDeadline)
	}
}
