package workflows_test

import (
	"context"
	"testing"
	"time"

	"cedarheights/workflows"
)

// napState: a run that sleeps until a time its input names.
type napState struct {
	Until time.Time `json:"until"`
}

var napFlow = workflows.Define("nap", 1, func(until time.Time) napState { return napState{Until: until} },
	workflows.Sleep("nap", func(s *napState) time.Time { return s.Until }).Then("up"),
	workflows.Task("up", func(*workflows.Step[napState]) error { return nil }))

// AwaitSettled returns as soon as the run cannot move on before the
// deadline without something from outside, and waits through what falls
// due before it. Whether it returned early is read off the context (not
// done yet), never off a clock.
func TestAwaitSettled(t *testing.T) {
	t.Parallel()
	short, long := payFlow(1500*time.Millisecond), payFlow(time.Hour)
	long2 := workflows.Define("pay_long", 1, func(invoice string) payState { return payState{Invoice: invoice} },
		workflows.Wait("webhook", func(s *payState) string { return "long:" + s.Invoice }, time.Hour).
			Then("paid").OnTimeout("chase"),
		workflows.Task("paid", func(s *workflows.Step[payState]) error { s.State.Outcome = "paid"; return nil }),
		workflows.Task("chase", func(s *workflows.Step[payState]) error { s.State.Outcome = "chased"; return nil }))
	app, _ := newEngine(t, registry(t, long, napFlow, long2))
	appShort, _ := newEngine(t, registry(t, short))
	const bound = 30 * time.Second // far beyond any wake-up below
	for _, c := range []struct {
		name  string
		start func(t *testing.T) string
		await func(context.Context, string) (*workflows.Run, error)
		want  workflows.Status
	}{
		{"waiting for an event: at once", func(t *testing.T) string {
			r, _ := workflows.Start(app, long, "in_settled", workflows.StartOptions{})
			return r.ID
		}, func(ctx context.Context, id string) (*workflows.Run, error) {
			return workflows.AwaitSettled(ctx, app, id)
		},
			workflows.StatusWaiting},
		{"sleeping past the deadline: at once", func(t *testing.T) string {
			r, _ := workflows.Start(app, napFlow, time.Now().Add(time.Hour), workflows.StartOptions{})
			return r.ID
		}, func(ctx context.Context, id string) (*workflows.Run, error) {
			return workflows.AwaitSettled(ctx, app, id)
		},
			workflows.StatusSleeping},
		{"a sleep within the deadline is waited through", func(t *testing.T) string {
			r, _ := workflows.Start(app, napFlow, time.Now().Add(1500*time.Millisecond), workflows.StartOptions{})
			return r.ID
		}, func(ctx context.Context, id string) (*workflows.Run, error) {
			return workflows.AwaitSettled(ctx, app, id)
		},
			workflows.StatusCompleted},
		{"a wait whose timeout falls within the deadline is waited through", func(t *testing.T) string {
			r, _ := workflows.Start(appShort, short, "in_short", workflows.StartOptions{})
			return r.ID
		}, func(ctx context.Context, id string) (*workflows.Run, error) {
			return workflows.AwaitSettled(ctx, appShort, id)
		},
			workflows.StatusCompleted},
		{"a waiting run an event woke is waited through", func(t *testing.T) string {
			r, _ := workflows.Start(app, long2, "in_woken", workflows.StartOptions{})
			waitFor(t, app, r.ID, 5*time.Second, workflows.StatusWaiting)
			if _, err := workflows.Signal(app, "long:in_woken", nil, workflows.SignalOptions{}); err != nil {
				t.Fatal(err)
			}
			return r.ID
		}, func(ctx context.Context, id string) (*workflows.Run, error) {
			return workflows.AwaitSettled(ctx, app, id)
		},
			workflows.StatusCompleted},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			id := c.start(t)
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			r, err := c.await(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != c.want || ctx.Err() != nil {
				t.Errorf("returned %s with ctx %v; want %s before the deadline", r.Status, ctx.Err(), c.want)
			}
		})
	}
}

// Await keeps its contract: a parked run is waited for until it ends or
// ctx is done.
func TestAwaitWaitsForTheEnd(t *testing.T) {
	t.Parallel()
	flow := payFlow(time.Hour)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, "in_end", workflows.StartOptions{})
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusWaiting)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r, err := workflows.Await(ctx, app, run.ID)
	if err != nil || r.Status != workflows.StatusWaiting || ctx.Err() == nil {
		t.Fatalf("Await returned %v (ctx %v, error %v); want waiting once ctx was done", r.Status, ctx.Err(), err)
	}
}
