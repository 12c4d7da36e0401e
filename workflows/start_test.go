package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestIdempotentStart(t *testing.T) {
	t.Parallel()
	app, _ := newEngine(t, registry(t, orderFlow))
	opts := workflows.StartOptions{IdempotencyKey: "order-42", Subject: "orders:42"}
	first, err := workflows.Start(app, orderFlow, orderInput{Amount: 10}, opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := workflows.Start(app, orderFlow, orderInput{Amount: 99}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Existing || first.Existing {
		t.Errorf("second start: id %s existing %v; first %s", second.ID, second.Existing, first.ID)
	}
	n, _ := app.CountRecords("workflow_runs", dbx.HashExp{"idempotency_key": "order-42"})
	if n != 1 {
		t.Errorf("%d runs with the key", n)
	}
	// Inside a caller's transaction that rolls back, nothing is started.
	boom := errors.New("rollback")
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := workflows.Start(tx, orderFlow, orderInput{Amount: 1}, workflows.StartOptions{IdempotencyKey: "order-43"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := app.CountRecords("workflow_runs", dbx.HashExp{"idempotency_key": "order-43"}); n != 0 {
		t.Error("a rolled back start left a run")
	}
}

func TestInvalidInputMakesNoRun(t *testing.T) {
	t.Parallel()
	app, _ := newEngine(t, registry(t, orderFlow))
	before, _ := app.CountRecords("workflow_runs")
	_, err := workflows.Start(app, orderFlow, orderInput{Amount: 0}, workflows.StartOptions{})
	var ie *workflows.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v, want an InputError", err)
	}
	var fields validation.Errors
	if !errors.As(err, &fields) || fields["amount"] == nil {
		t.Errorf("validation errors %v name no amount", err)
	}
	for _, raw := range []string{`{"amount":"lots"}`, `{"amount":5,"extra":1}`, `[1]`, `{"amount":-3}`} {
		_, err := workflows.StartByName(app, "order", json.RawMessage(raw), workflows.StartOptions{})
		if !errors.As(err, &ie) {
			t.Errorf("input %s: err %v, want an InputError", raw, err)
		}
	}
	if _, err := workflows.Start(app, orderFlow, orderInput{Amount: 5}, workflows.StartOptions{Owner: "nosuchuser0000"}); !errors.As(err, &ie) {
		t.Errorf("unknown owner: %v", err)
	}
	if _, err := workflows.StartByName(app, "nope", nil, workflows.StartOptions{}); !errors.Is(err, workflows.ErrNotRegistered) {
		t.Errorf("unknown workflow: %v", err)
	}
	after, _ := app.CountRecords("workflow_runs")
	if after != before {
		t.Errorf("%d runs exist after invalid starts, want %d", after, before)
	}
	run, err := workflows.StartByName(app, "order", json.RawMessage(`{"amount":5}`), workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
}

func TestVersionMissing(t *testing.T) {
	t.Parallel()
	v1 := workflows.Define("pinned", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error { s.State.Log = []string{"v1"}; return nil }))
	v2 := workflows.Define("pinned", 2, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error { s.State.Log = []string{"v2"}; return nil }))
	app, _ := testapp.New(t, wiring.WithoutEngine())
	old := workflows.NewEngine(app, testOptions(registry(t, v1))) // not started: the run waits
	run, err := workflows.Start(app, v1, struct{}{}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = old
	// A new build knows only v2.
	reg := registry(t, v2)
	eng := workflows.NewEngine(app, testOptions(reg))
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	missing := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusVersionMissing)
	if !strings.Contains(missing.Error, "pinned v1") || missing.LeaseOwner != "" {
		t.Errorf("version missing: error %q lease %q", missing.Error, missing.LeaseOwner)
	}
	if _, err := workflows.Resume(app, run.ID); err == nil {
		t.Error("resume succeeded while v1 is still missing")
	}
	if err := reg.Register(v1); err != nil { // v1 is back
		t.Fatal(err)
	}
	if _, err := workflows.Resume(app, run.ID); err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if !strings.Contains(string(done.State), "v1") {
		t.Errorf("the run did not stay on its version: %s", done.State)
	}
}

// TestRecoveryAfterAWorkerDied: runs leased by the data dir's previous
// process, which is gone (its lock is free), are taken over as soon as the
// engine starts, whatever that process's owner id says about its host or
// pid and whether it had started them or only claimed them. Their leases
// last ten more minutes, so waiting for them would time the test out.
func TestRecoveryAfterAWorkerDied(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	flow := workflows.Define("recover", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error { calls.Add(1); return nil }).Then("b"),
		workflows.Task("b", func(s *workflows.Step[tally]) error { calls.Add(1); return nil }),
	)
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimSpace(hostname(t))
	owners := []struct{ name, owner string }{
		{"a pid on this host that exited", host + ":" + itoa(exited.Process.Pid) + ":dead"},
		// The killed process not yet reaped, or its pid reused: the pid
		// is alive, its engine is not.
		{"a pid on this host that is alive", host + ":" + itoa(os.Getppid()) + ":dead"},
		{"another hostname (a container re-created on the same volume)", "old-container:1:dead"},
	}
	for _, c := range owners {
		t.Run(c.name, func(t *testing.T) {
			calls.Store(0)
			reg := registry(t, flow)
			app, _ := testapp.New(t, wiring.WithoutEngine())
			workflows.NewEngine(app, testOptions(reg)) // not started: the runs wait
			var ids []string
			for _, status := range []string{"running", "pending"} { // executing; claimed and still queued
				run, err := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
				if err != nil {
					t.Fatal(err)
				}
				leaseTo(t, app, run.ID, status, c.owner+"/1/"+run.ID, time.Now().Add(10*time.Minute))
				ids = append(ids, run.ID)
			}
			eng := workflows.NewEngine(app, testOptions(reg))
			if err := eng.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(eng.Stop)
			for _, id := range ids {
				waitFor(t, app, id, 20*time.Second, workflows.StatusCompleted)
			}
			if calls.Load() != 4 {
				t.Errorf("%d node calls, want 4", calls.Load())
			}
		})
	}
}

// TestLeaseOfALiveProcessIsKept: while another process holds the data
// dir's lock (a second server on it), a starting engine takes none of the
// leases it finds. A lease that expires is taken over; the rest are once
// the holder is gone (its lock freed), without waiting for them.
func TestLeaseOfALiveProcessIsKept(t *testing.T) {
	t.Parallel()
	flow := workflows.Define("kept", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error { return nil }))
	reg := registry(t, flow)
	app, _ := testapp.New(t, wiring.WithoutEngine())
	workflows.NewEngine(app, testOptions(reg)) // not started: the runs wait
	const other = "other-container:7:live"
	var leased []*workflows.Run
	for i := range 3 {
		run, err := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			leaseTo(t, app, run.ID, "running", other+"/1/"+run.ID, time.Now().Add(10*time.Minute))
		}
		leased = append(leased, run)
	}
	expiring, held, free := leased[0], leased[1], leased[2]
	lock, err := workflows.LockDataDir(app.DataDir(), other)
	if err != nil {
		t.Skip("no data dir lock here:", err)
	}
	defer lock.Close()

	eng := workflows.NewEngine(app, testOptions(reg))
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	// The free run is the youngest and only the scanner finds it: once it
	// is done, the scanner has passed the leased ones too.
	waitFor(t, app, free.ID, 20*time.Second, workflows.StatusCompleted)
	for _, r := range []*workflows.Run{expiring, held} {
		kept, _ := workflows.Get(app, r.ID)
		if want := other + "/1/" + r.ID; kept.LeaseOwner != want || kept.Status != workflows.StatusRunning {
			t.Fatalf("a run of the live process: lease %q status %s, want %q running", kept.LeaseOwner, kept.Status, want)
		}
		if steps, _ := workflows.Steps(app, r.ID); len(steps) != 0 {
			t.Errorf("%d steps on a run leased by a live process", len(steps))
		}
	}

	// One lease runs out (the process stopped renewing it): taken over.
	leaseTo(t, app, expiring.ID, "running", other+"/1/"+expiring.ID, time.Now().Add(-time.Second))
	waitFor(t, app, expiring.ID, 20*time.Second, workflows.StatusCompleted)
	if kept, _ := workflows.Get(app, held.ID); kept.LeaseOwner == "" || kept.Status != workflows.StatusRunning {
		t.Fatalf("the unexpired lease was taken: lease %q status %s", kept.LeaseOwner, kept.Status)
	}
	// The holder exits: its other run resumes at once.
	lock.Close()
	waitFor(t, app, held.ID, 20*time.Second, workflows.StatusCompleted)
}

// leaseTo writes a lease on a run as another process's claim would.
func leaseTo(t *testing.T, app core.App, id, status, token string, until time.Time) {
	t.Helper()
	_, err := app.NonconcurrentDB().Update("workflow_runs", dbx.Params{
		"status": status, "lease_owner": token, "lease_until": until.UTC().Format("2006-01-02 15:04:05.000Z"),
	}, dbx.HashExp{"id": id}).Execute()
	if err != nil {
		t.Fatal(err)
	}
}

func TestShutdownReleasesLeasesAndResumes(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var bCalls atomic.Int32
	flow := workflows.Define("drain", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error { return nil }).Then("b"),
		workflows.Task("b", func(s *workflows.Step[tally]) error {
			if bCalls.Add(1) == 1 {
				select {
				case <-release:
				case <-s.Done():
					return s.Err()
				}
			}
			return nil
		}),
	)
	reg := registry(t, flow)
	app, _ := testapp.New(t, wiring.WithoutEngine())
	opts := testOptions(reg)
	opts.ShutdownGrace = 100 * time.Millisecond
	eng := workflows.NewEngine(app, opts)
	eng.Start()
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	deadline := time.Now().Add(3 * time.Second)
	for bCalls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	eng.Stop()
	r, _ := workflows.Get(app, run.ID)
	if r.LeaseOwner != "" || r.Status != workflows.StatusRunning || len(r.Done) != 1 {
		t.Fatalf("after shutdown: status %s lease %q done %v", r.Status, r.LeaseOwner, r.Done)
	}
	close(release)
	next := workflows.NewEngine(app, opts)
	next.Start()
	t.Cleanup(next.Stop)
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	steps, _ := workflows.Steps(app, run.ID)
	if len(steps) != 2 {
		t.Errorf("%d steps: the interrupted attempt must leave no record", len(steps))
	}
}

func TestAwaitAndStartAndWait(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	slow := workflows.Define("gated", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error {
			select {
			case <-gate:
			case <-s.Done():
			}
			return nil
		}))
	app, _ := newEngine(t, registry(t, orderFlow, slow))
	run, err := workflows.StartAndWait(app, orderFlow, orderInput{Amount: 3}, workflows.StartOptions{}, 5*time.Second)
	if err != nil || run.Status != workflows.StatusCompleted || string(run.Result) == "null" {
		t.Fatalf("sync start: %+v %v", run, err)
	}
	run, err = workflows.StartAndWait(app, slow, struct{}{}, workflows.StartOptions{}, 100*time.Millisecond)
	if err != nil || run.Status.Terminal() {
		t.Fatalf("bounded wait returned %s, %v", run.Status, err)
	}
	close(gate)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done, err := workflows.Await(ctx, app, run.ID)
	if err != nil || done.Status != workflows.StatusCompleted {
		t.Fatalf("await: %v %v", done.Status, err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		_, err := workflows.Await(ctx, tx, run.ID)
		return err
	})
	if err == nil {
		t.Error("Await inside a transaction did not refuse")
	}
}

func TestRunChangesFireRecordHooks(t *testing.T) {
	t.Parallel()
	app, _ := newEngine(t, registry(t, orderFlow))
	var created, updated, steps atomic.Int32
	app.OnRecordAfterCreateSuccess("workflow_runs").BindFunc(func(e *core.RecordEvent) error { created.Add(1); return e.Next() })
	app.OnRecordAfterUpdateSuccess("workflow_runs").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("status") == "completed" && e.Record.GetString("name") == "order" {
			updated.Add(1)
		}
		return e.Next()
	})
	app.OnRecordAfterCreateSuccess("workflow_steps").BindFunc(func(e *core.RecordEvent) error { steps.Add(1); return e.Next() })
	run, _ := workflows.Start(app, orderFlow, orderInput{Amount: 3}, workflows.StartOptions{})
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	time.Sleep(50 * time.Millisecond)
	if created.Load() != 1 || updated.Load() != 1 || steps.Load() != 3 {
		t.Errorf("hooks: %d creates, %d completed updates, %d step creates; want 1, 1, 3", created.Load(), updated.Load(), steps.Load())
	}
}

// TestStepKnowsItsRun: the idempotency key is the run and node, the same
// on every attempt; the step sees the run's owner, subject and input.
func TestStepKnowsItsRun(t *testing.T) {
	t.Parallel()
	var keys []string
	var seen []string
	flow := workflows.Define("keys", 1, func(in orderInput) tally { return tally{} },
		workflows.Task("call", func(s *workflows.Step[tally]) error {
			keys = append(keys, s.IdempotencyKey())
			var in orderInput
			if err := s.Input(&in); err != nil {
				return err
			}
			seen = []string{s.RunID(), s.Node(), s.Owner(), s.Subject(), itoa(in.Amount)}
			s.Logger().Info("attempt", "n", s.Attempt())
			if s.Attempt() < 3 {
				return errors.New("again")
			}
			return nil
		}).Retry(workflows.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond}),
	)
	app, _ := newEngine(t, registry(t, flow))
	f := testapp.Get(t)
	run, err := workflows.Start(app, flow, orderInput{Amount: 7}, workflows.StartOptions{Owner: f.ParentA.ID, Subject: "orders:7"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if len(keys) != 3 || keys[0] != run.ID+"/call" || keys[1] != keys[0] || keys[2] != keys[0] {
		t.Errorf("keys %v, want %s/call on every attempt", keys, run.ID)
	}
	if want := []string{run.ID, "call", f.ParentA.ID, "orders:7", "7"}; strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("step saw %v, want %v", seen, want)
	}
}

// TestHeartbeatKeepsALongNodesLease: a node running longer than the lease
// keeps its run (the heartbeat renews it): one attempt, no takeover.
func TestHeartbeatKeepsALongNodesLease(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	flow := workflows.Define("long_lease", 1, func(struct{}) tally { return tally{} },
		workflows.Task("slow", func(s *workflows.Step[tally]) error {
			attempts.Add(1)
			time.Sleep(900 * time.Millisecond)
			return nil
		}))
	app, _ := testapp.New(t, wiring.WithoutEngine())
	opts := testOptions(registry(t, flow))
	opts.Lease = 300 * time.Millisecond
	eng := workflows.NewEngine(app, opts)
	eng.Start()
	t.Cleanup(eng.Stop)
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	time.Sleep(600 * time.Millisecond)
	mid, _ := workflows.Get(app, run.ID)
	if !mid.LeaseUntil.After(time.Now()) {
		t.Errorf("mid-node the lease ended at %v: not renewed", mid.LeaseUntil)
	}
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if attempts.Load() != 1 {
		t.Errorf("%d attempts: the lease lapsed and the run was taken over", attempts.Load())
	}
}
