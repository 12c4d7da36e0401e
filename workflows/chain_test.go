package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// TestQuickTasksCommitTogether pins what a chain of quick tasks may hold
// back (exec_chain.go): steps without writes commit with the next
// checkpoint written; a step with writes is never held, so its writes are
// committed before the next task starts; a write that fails loses none of
// the steps held before it; and every step is recorded and announced.
func TestQuickTasksCommitTogether(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		writes      string   // the node that enqueues a mail ("" none)
		failOnce    bool     // its write fails on the first attempt
		checkpoints int32    // transactions tried (a failed one included)
		steps       []string // node:status, in the order written
	}{
		{name: "five quick tasks", checkpoints: 1,
			steps: []string{"a:completed", "b:completed", "c:completed", "d:completed", "e:completed"}},
		{name: "a task with writes ends the chain", writes: "b", checkpoints: 2,
			steps: []string{"a:completed", "b:completed", "c:completed", "d:completed", "e:completed"}},
		{name: "a failed write keeps the steps held before it", writes: "c", failOnce: true, checkpoints: 4,
			steps: []string{"a:completed", "b:completed", "c:retrying", "c:completed", "d:completed", "e:completed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var failed atomic.Bool
			var sawMail atomic.Int32 // how many mails the node after the writer saw committed
			task := func(id string) func(*workflows.Step[tally]) error {
				return func(s *workflows.Step[tally]) error {
					s.State.Log = append(s.State.Log, id)
					if id == tc.writes {
						run := s.RunID()
						s.Write(func(tx core.App) error {
							if tc.failOnce && failed.CompareAndSwap(false, true) {
								return errors.New("constraint failed")
							}
							_, err := workflows.EnqueueMail(tx, workflows.Mail{To: []string{"x@example.com"}, Subject: "s", Text: "t",
								IdempotencyKey: "chain:" + run})
							return err
						})
					}
					if tc.writes != "" && id == string(rune(tc.writes[0]+1)) {
						n, err := s.App().CountRecords("email_outbox", dbx.HashExp{"idempotency_key": "chain:" + s.RunID()})
						if err != nil {
							return err
						}
						sawMail.Store(int32(n))
					}
					return nil
				}
			}
			flow := workflows.Define("chain", 1, func(struct{}) tally { return tally{} },
				workflows.Task("a", task("a")).Then("b"),
				workflows.Task("b", task("b")).Then("c"),
				workflows.Task("c", task("c")).Retry(quickRetry).Then("d"),
				workflows.Task("d", task("d")).Then("e"),
				workflows.Task("e", task("e")),
			)
			app, _ := testapp.New(t, wiring.WithoutEngine())
			var checkpoints, announced atomic.Int32
			opts := testOptions(registry(t, flow))
			opts.OnCheckpoint = func(time.Duration) { checkpoints.Add(1) }
			eng := workflows.NewEngine(app, opts)
			eng.SetChainWait(time.Minute) // a chain is cut by what it meets, never by the clock here
			app.OnRecordAfterCreateSuccess("workflow_steps").BindFunc(func(e *core.RecordEvent) error {
				announced.Add(1)
				return e.Next()
			})
			if err := eng.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(eng.Stop)

			run, err := workflows.Start(app, flow, struct{}{}, workflows.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusDeadLetter)
			if done.Status != workflows.StatusCompleted || !strings.Contains(string(done.State), `["a","b","c","d","e"]`) {
				t.Fatalf("status %s, state %s", done.Status, done.State)
			}
			// The counts are taken after the commit the status is read from.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) &&
				(checkpoints.Load() < tc.checkpoints || int(announced.Load()) < len(tc.steps)); {
				time.Sleep(5 * time.Millisecond)
			}
			steps, _ := workflows.Steps(app, run.ID)
			var got []string
			for _, s := range steps {
				got = append(got, s.Node+":"+s.Status)
			}
			if !slices.Equal(got, tc.steps) {
				t.Errorf("steps %v, want %v", got, tc.steps)
			}
			if n := checkpoints.Load(); n != tc.checkpoints {
				t.Errorf("%d checkpoints written, want %d", n, tc.checkpoints)
			}
			if n := announced.Load(); int(n) != len(tc.steps) {
				t.Errorf("%d step records announced, want %d", n, len(tc.steps))
			}
			if tc.writes != "" {
				n, _ := app.CountRecords("email_outbox", dbx.HashExp{"idempotency_key": "chain:" + run.ID})
				if n != 1 || sawMail.Load() != 1 {
					t.Errorf("%d mails kept, the next task saw %d committed; want 1 and 1", n, sawMail.Load())
				}
			}
		})
	}
}
