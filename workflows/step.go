package workflows

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
)

// Step is what a task gets: the run's state to read and extend, a context
// (cancelled on timeout, cancellation or shutdown), the stable idempotency
// key for calls outside, and Write to queue database writes that commit in
// the node's checkpoint transaction.
type Step[S any] struct {
	context.Context
	State *S
	env   *stepEnv
}

type stepEnv struct {
	ctx     context.Context
	app     core.App
	run     *Run
	node    string
	attempt int
	writes  []func(txApp core.App) error
	mails   int
	logger  func() *slog.Logger // made on first use: most tasks never log
}

// App is the app for reads outside the checkpoint. Do not write through
// it: writes go through Write so they commit exactly once, with the step.
func (s *Step[S]) App() core.App { return s.env.app }

// RunID is the run's id.
func (s *Step[S]) RunID() string { return s.env.run.ID }

// Node is this node's id.
func (s *Step[S]) Node() string { return s.env.node }

// Attempt is 1 on the first try, 2 on the first retry, …
func (s *Step[S]) Attempt() int { return s.env.attempt }

// Owner is the user the run was started on behalf of ("" if none).
func (s *Step[S]) Owner() string { return s.env.run.Owner }

// Subject is what the run is about, as given to Start.
func (s *Step[S]) Subject() string { return s.env.run.Subject }

// Input decodes the run's input into v.
func (s *Step[S]) Input(v any) error { return json.Unmarshal([]byte(s.env.run.Input), v) }

// IdempotencyKey is "<run id>/<node id>": the same on every attempt of this
// node, so a service that deduplicates by key (Stripe's Idempotency-Key)
// performs the effect once however often the node is retried or re-run
// after a crash.
func (s *Step[S]) IdempotencyKey() string { return s.env.run.ID + "/" + s.env.node }

// Write queues fn to run inside the transaction that checkpoints this node
// (with the step record and the new state), after the node returns without
// error. fn must use only txApp. If fn fails, nothing of the checkpoint is
// kept and the attempt counts as failed.
func (s *Step[S]) Write(fn func(txApp core.App) error) {
	s.env.writes = append(s.env.writes, fn)
}

// Mail queues m in the email outbox, in the checkpoint transaction. Without
// an IdempotencyKey it gets one derived from the node's (so a retried or
// re-run node enqueues the same mail once).
func (s *Step[S]) Mail(m Mail) {
	s.env.mails++
	if m.IdempotencyKey == "" {
		m.IdempotencyKey = s.IdempotencyKey() + "#" + strconv.Itoa(s.env.mails)
	}
	s.Write(func(txApp core.App) error {
		_, err := EnqueueMail(txApp, m)
		return err
	})
}

// Logger logs with the run and node attached.
func (s *Step[S]) Logger() *slog.Logger { return s.env.logger() }
