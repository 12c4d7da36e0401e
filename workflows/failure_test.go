package workflows_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

type tally struct {
	Log []string `json:"log"`
}

var quickRetry = workflows.RetryPolicy{MaxAttempts: 3, Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	flaky := workflows.Define("flaky", 1, func(struct{}) tally { return tally{} },
		workflows.Task("call", func(s *workflows.Step[tally]) error {
			if calls.Add(1) < 3 {
				return errors.New("503 from upstream")
			}
			s.State.Log = append(s.State.Log, "ok on attempt "+string(rune('0'+s.Attempt())))
			return nil
		}).Retry(quickRetry),
	)
	app, _ := newEngine(t, registry(t, flaky))
	run, err := workflows.Start(app, flaky, struct{}{}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusDeadLetter)
	if done.Status != workflows.StatusCompleted || !strings.Contains(string(done.State), "ok on attempt 3") {
		t.Fatalf("status %s state %s", done.Status, done.State)
	}
	steps, _ := workflows.Steps(app, run.ID)
	var got []string
	for _, s := range steps {
		got = append(got, s.Status)
		if s.Status == "retrying" && s.Error != "503 from upstream" {
			t.Errorf("retry step error %q", s.Error)
		}
	}
	if !slices.Equal(got, []string{"retrying", "retrying", "completed"}) {
		t.Errorf("steps %v", got)
	}
	if steps[2].Attempt != 3 {
		t.Errorf("final attempt %d, want 3", steps[2].Attempt)
	}
}

// sagaFlow books, charges and ships; shipping fails. The completed tasks
// are compensated in reverse order.
func sagaFlow(version int, ship func(*workflows.Step[tally]) error, mu *sync.Mutex, undone *[]string) *workflows.Workflow[struct{}, tally] {
	undo := func(name string) func(*workflows.Step[tally]) error {
		return func(s *workflows.Step[tally]) error {
			mu.Lock()
			*undone = append(*undone, name)
			mu.Unlock()
			s.State.Log = append(s.State.Log, "undo "+name)
			return nil
		}
	}
	step := func(name string) func(*workflows.Step[tally]) error {
		return func(s *workflows.Step[tally]) error {
			s.State.Log = append(s.State.Log, name)
			return nil
		}
	}
	return workflows.Define("saga", version, func(struct{}) tally { return tally{} },
		workflows.Task("book", step("book")).Then("charge").Compensate("unbook"),
		workflows.Task("charge", step("charge")).Then("ship").Compensate("refund"),
		workflows.Task("ship", ship).Retry(workflows.RetryPolicy{MaxAttempts: 2, Initial: time.Millisecond}),
		workflows.Task("unbook", undo("book")),
		workflows.Task("refund", undo("charge")),
	)
}

func TestRetriesExhaustedDeadLetterAfterCompensation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var undone []string
	var shipCalls atomic.Int32
	saga := sagaFlow(1, func(*workflows.Step[tally]) error {
		shipCalls.Add(1)
		return errors.New("carrier down")
	}, &mu, &undone)
	app, _ := newEngine(t, registry(t, saga))
	run, err := workflows.Start(app, saga, struct{}{}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusDeadLetter, workflows.StatusFailed, workflows.StatusCompleted)
	if done.Status != workflows.StatusDeadLetter {
		t.Fatalf("status %s, want dead_letter", done.Status)
	}
	if shipCalls.Load() != 2 {
		t.Errorf("ship tried %d times, want its 2 attempts", shipCalls.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(undone, []string{"charge", "book"}) {
		t.Errorf("compensations %v, want the reverse order of completion [charge book]", undone)
	}
	if !strings.Contains(done.Error, "ship") || !strings.Contains(done.Error, "carrier down") {
		t.Errorf("error %q names neither the node nor the cause", done.Error)
	}
	steps, _ := workflows.Steps(app, run.ID)
	var trail []string
	for _, s := range steps {
		trail = append(trail, s.Node+":"+s.Status)
	}
	want := []string{"book:completed", "charge:completed", "ship:retrying", "ship:failed", "refund:completed", "unbook:completed"}
	if !slices.Equal(trail, want) {
		t.Errorf("steps %v, want %v", trail, want)
	}
}

func TestPermanentErrorFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var undone []string
	var shipCalls atomic.Int32
	saga := sagaFlow(1, func(*workflows.Step[tally]) error {
		shipCalls.Add(1)
		return workflows.Permanent(errors.New("address does not exist"))
	}, &mu, &undone)
	app, _ := newEngine(t, registry(t, saga))
	run, _ := workflows.Start(app, saga, struct{}{}, workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusFailed, workflows.StatusDeadLetter)
	if done.Status != workflows.StatusFailed || shipCalls.Load() != 1 {
		t.Fatalf("status %s after %d calls, want failed after 1", done.Status, shipCalls.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(undone) != 2 {
		t.Errorf("compensations %v", undone)
	}
}

func TestCompensationFailureIsDeadLetter(t *testing.T) {
	t.Parallel()
	flow := workflows.Define("badundo", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(*workflows.Step[tally]) error { return nil }).Then("b").Compensate("undo_a"),
		workflows.Task("b", func(*workflows.Step[tally]) error { return workflows.Permanentf("no") }),
		workflows.Task("undo_a", func(*workflows.Step[tally]) error { return workflows.Permanentf("cannot undo") }),
	)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusDeadLetter, workflows.StatusFailed)
	if done.Status != workflows.StatusDeadLetter || !strings.Contains(done.Error, "compensation undo_a failed") {
		t.Fatalf("status %s error %q", done.Status, done.Error)
	}
}

func TestTimeoutCancelsTheAttempt(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	ctxErr := make(chan error, 4)
	slow := workflows.Define("slow", 1, func(struct{}) tally { return tally{} },
		workflows.Task("call", func(s *workflows.Step[tally]) error {
			if attempts.Add(1) == 1 {
				<-s.Done() // a hung call: only the timeout ends it
				ctxErr <- s.Err()
				return s.Err()
			}
			return nil
		}).Timeout(50*time.Millisecond).Retry(quickRetry),
	)
	hung := workflows.Define("hung", 1, func(struct{}) tally { return tally{} },
		workflows.Task("call", func(s *workflows.Step[tally]) error {
			time.Sleep(300 * time.Millisecond) // ignores its context
			return nil
		}).Timeout(30*time.Millisecond).Retry(workflows.NoRetry),
	)
	app, _ := newEngine(t, registry(t, slow, hung))

	run, _ := workflows.Start(app, slow, struct{}{}, workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusDeadLetter)
	if done.Status != workflows.StatusCompleted {
		t.Fatalf("status %s: %s", done.Status, done.Error)
	}
	if err := <-ctxErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the hung attempt saw %v, want its deadline", err)
	}
	steps, _ := workflows.Steps(app, run.ID)
	if len(steps) != 2 || !strings.Contains(steps[0].Error, "timed out after 50ms") {
		t.Errorf("steps %+v", steps)
	}

	run, _ = workflows.Start(app, hung, struct{}{}, workflows.StartOptions{})
	done = waitFor(t, app, run.ID, 5*time.Second, workflows.StatusDeadLetter, workflows.StatusCompleted)
	if done.Status != workflows.StatusDeadLetter || !strings.Contains(done.Error, "timed out") {
		t.Errorf("a task ignoring its context: status %s error %q, want dead_letter after the timeout", done.Status, done.Error)
	}
}

func TestCancelStopsTheRunningNode(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	stopped := make(chan error, 1)
	var wrote atomic.Bool
	long := workflows.Define("long", 1, func(struct{}) tally { return tally{} },
		workflows.Task("work", func(s *workflows.Step[tally]) error {
			close(started)
			<-s.Done()
			stopped <- s.Err()
			s.Write(func(core.App) error { wrote.Store(true); return nil })
			return nil
		}).Then("never"),
		workflows.Task("never", func(*workflows.Step[tally]) error { return nil }),
	)
	app, _ := newEngine(t, registry(t, long))
	run, _ := workflows.Start(app, long, struct{}{}, workflows.StartOptions{})
	<-started
	cancelled, err := workflows.Cancel(app, run.ID, "parent withdrew")
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.Status != workflows.StatusCancelled || cancelled.Error != "cancelled: parent withdrew" {
		t.Errorf("cancel returned %s %q", cancelled.Status, cancelled.Error)
	}
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("node context ended with %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the running node's context was not cancelled")
	}
	time.Sleep(100 * time.Millisecond)
	r, _ := workflows.Get(app, run.ID)
	if r.Status != workflows.StatusCancelled || r.LeaseOwner != "" || slices.Contains(r.Done, "work") {
		t.Errorf("after cancel: status %s lease %q done %v", r.Status, r.LeaseOwner, r.Done)
	}
	if wrote.Load() {
		t.Error("the cancelled node's write was applied")
	}
	if _, err := workflows.Cancel(app, run.ID, ""); err == nil {
		t.Error("cancelling a cancelled run succeeded")
	}
	var se *workflows.StateError
	if _, err := workflows.Cancel(app, run.ID, ""); !errors.As(err, &se) {
		t.Errorf("second cancel: %v, want a StateError", err)
	}

	// Resume goes on from the node that was running.
	resumed, err := workflows.Resume(app, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Status != workflows.StatusPending || !slices.Equal(resumed.Ready, []string{"work"}) {
		t.Errorf("resumed: %s ready %v", resumed.Status, resumed.Ready)
	}
}

func TestRetryFromANode(t *testing.T) {
	t.Parallel()
	var broken atomic.Bool
	broken.Store(true)
	var charges atomic.Int32
	saga := workflows.Define("saga2", 1, func(struct{}) tally { return tally{} },
		workflows.Task("book", func(*workflows.Step[tally]) error { return nil }).Then("charge"),
		workflows.Task("charge", func(*workflows.Step[tally]) error { charges.Add(1); return nil }).Then("ship"),
		workflows.Task("ship", func(*workflows.Step[tally]) error {
			if broken.Load() {
				return workflows.Permanentf("carrier down")
			}
			return nil
		}),
	)
	app, _ := newEngine(t, registry(t, saga))
	run, _ := workflows.Start(app, saga, struct{}{}, workflows.StartOptions{})
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusFailed)

	if _, err := workflows.Retry(app, run.ID, "nope"); err == nil {
		t.Error("retry from an unknown node succeeded")
	}
	broken.Store(false)
	if _, err := workflows.Retry(app, run.ID, ""); err != nil { // the failed node
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusFailed)
	if done.Status != workflows.StatusCompleted || charges.Load() != 1 {
		t.Fatalf("retry of the failed node: status %s, charge ran %d times (want once)", done.Status, charges.Load())
	}
	if _, err := workflows.Retry(app, run.ID, "charge"); err != nil { // rerun from an earlier node
		t.Fatal(err)
	}
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	if charges.Load() != 2 {
		t.Errorf("retry from charge ran it %d times in all, want 2", charges.Load())
	}
	if _, err := workflows.Resume(app, run.ID); err == nil {
		t.Error("resuming a completed run succeeded")
	}
}

// TestFencedCheckpointKeepsNoWrites: a worker that lost its lease cannot
// commit; the node's writes roll back with the checkpoint and happen once,
// when the run is taken over.
func TestFencedCheckpointKeepsNoWrites(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	flow := workflows.Define("fenced", 1, func(struct{}) tally { return tally{} },
		workflows.Task("write", func(s *workflows.Step[tally]) error {
			if attempts.Add(1) == 1 {
				// Someone else takes the lease while this attempt runs.
				_, err := s.App().NonconcurrentDB().Update("workflow_runs",
					dbx.Params{"lease_owner": "elsewhere:1:x", "lease_until": "2000-01-01 00:00:00.000Z"},
					dbx.HashExp{"id": s.RunID()}).Execute()
				if err != nil {
					return err
				}
			}
			run := s.RunID()
			s.Write(func(tx core.App) error {
				_, err := workflows.EnqueueMail(tx, workflows.Mail{To: []string{"x@example.com"}, Subject: "s", Text: "t",
					IdempotencyKey: "fenced:" + run + ":" + time.Now().String()})
				return err
			})
			return nil
		}),
	)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	n, err := app.CountRecords("email_outbox", dbx.NewExp("idempotency_key LIKE {:k}", dbx.Params{"k": "fenced:" + run.ID + "%"}))
	if err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 2 || n != 1 {
		t.Errorf("%d attempts, %d writes kept; want 2 attempts and exactly 1 write", attempts.Load(), n)
	}
}

// TestFailingWritesFailTheAttemptOnly: a node whose Write fails (or
// panics) loses its whole checkpoint and is retried; the engine goes on.
func TestFailingWritesFailTheAttemptOnly(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	flow := workflows.Define("badwrite", 1, func(struct{}) tally { return tally{} },
		workflows.Task("a", func(s *workflows.Step[tally]) error {
			n := attempts.Add(1)
			s.State.Log = append(s.State.Log, "attempt")
			s.Write(func(tx core.App) error {
				switch n {
				case 1:
					return errors.New("constraint failed")
				case 2:
					panic("boom")
				}
				return nil
			})
			return nil
		}).Retry(quickRetry),
	)
	app, _ := newEngine(t, registry(t, flow, orderFlow))
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusDeadLetter)
	if done.Status != workflows.StatusCompleted || attempts.Load() != 3 {
		t.Fatalf("status %s after %d attempts", done.Status, attempts.Load())
	}
	if !strings.Contains(string(done.State), `["attempt"]`) {
		t.Errorf("state %s: failed attempts' changes were kept", done.State)
	}
	steps, _ := workflows.Steps(app, run.ID)
	if len(steps) != 3 || !strings.Contains(steps[0].Error, "constraint failed") || !strings.Contains(steps[1].Error, "panic") {
		t.Errorf("steps %+v", steps)
	}
	other, _ := workflows.Start(app, orderFlow, orderInput{Amount: 1}, workflows.StartOptions{})
	waitFor(t, app, other.ID, 5*time.Second, workflows.StatusCompleted)
}

// TestRetryBesideASlowBranch: a branch's retry falls due while the other
// branch still runs, and is not held up by it.
func TestRetryBesideASlowBranch(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var flaky atomic.Int32
	retried := make(chan time.Time, 1)
	flow := workflows.Define("slowfan", 1, func(struct{}) tally { return tally{} },
		workflows.Task("split", func(*workflows.Step[tally]) error { return nil }).Then("slow", "flaky"),
		workflows.Task("slow", func(s *workflows.Step[tally]) error {
			select {
			case <-release:
			case <-s.Done():
			}
			return nil
		}).Then("join"),
		workflows.Task("flaky", func(s *workflows.Step[tally]) error {
			if flaky.Add(1) == 1 {
				return errors.New("once")
			}
			retried <- time.Now()
			return nil
		}).Retry(workflows.RetryPolicy{MaxAttempts: 2, Initial: 30 * time.Millisecond, Max: 30 * time.Millisecond}).Then("join"),
		workflows.Join[tally]("join"),
	)
	app, _ := newEngine(t, registry(t, flow))
	run, _ := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
	select {
	case <-retried:
	case <-time.After(2 * time.Second):
		t.Fatal("the retry waited for the slow branch")
	}
	close(release)
	waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
}
