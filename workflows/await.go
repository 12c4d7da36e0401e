package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Await waits until the run ends (completed, failed, cancelled or
// dead_letter) or ctx is done, and returns the run as it then is: callers
// look at its Status. Runs executed by this process wake it at once; runs
// executed elsewhere are polled. For callers that need the end (tests, the
// demo, benchmarks); a route's bounded wait uses AwaitSettled.
func Await(ctx context.Context, app core.App, id string) (*Run, error) {
	return await(ctx, app, id, func(r *Run) bool { return r.Status.Terminal() })
}

// AwaitSettled is Await that also returns as soon as the run cannot move
// on before ctx's deadline without something from outside: it waits for
// an event (a family's confirmation, a payment webhook) with no wake-up of
// its own before the deadline, sleeps past the deadline, or its definition
// is missing from this build (version_missing). Waiting on would only end
// in the same answer, later. A sleep, retry backoff or wait timeout that
// falls due before the deadline is waited through, as is a waiting run an
// event has woken (Signal sets its wake-up to now). Without a deadline on
// ctx a parked run is waited through unless nothing of its own wakes it.
func AwaitSettled(ctx context.Context, app core.App, id string) (*Run, error) {
	deadline, bounded := ctx.Deadline()
	return await(ctx, app, id, func(r *Run) bool {
		switch r.Status {
		case StatusVersionMissing:
			return true
		case StatusSleeping, StatusWaiting:
			return r.WakeAt.IsZero() || bounded && !r.WakeAt.Before(deadline)
		}
		return r.Status.Terminal()
	})
}

// await waits until done(run) or ctx is done. The engine wakes it when a
// run it executes ends or parks; other changes are seen by polling.
func await(ctx context.Context, app core.App, id string, done func(*Run) bool) (*Run, error) {
	if app.IsTransactional() {
		return nil, errors.New("workflows: Await inside a transaction would wait for a run that has not committed")
	}
	e := EngineOf(app)
	for {
		var woke <-chan struct{}
		stop := func() {}
		if e != nil {
			woke, stop = e.waiter(id)
		}
		r, err := loadRun(app, id)
		if err != nil || done(r) {
			stop()
			return r, err
		}
		select {
		case <-woke:
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			stop()
			return r, nil
		}
		stop()
	}
}

// Settle is run as a route answers it (200 with the result when it ended,
// 202 with its id otherwise): after waiting up to wait (AwaitSettled) for
// a run that has not ended, as it was on an error. Existing, which Start
// set, is kept.
func Settle(ctx context.Context, app core.App, run *Run, wait time.Duration) (*Run, error) {
	if run.Status.Terminal() || wait <= 0 {
		return run, nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	done, err := AwaitSettled(ctx, app, run.ID)
	if err != nil {
		return run, err
	}
	done.Existing = run.Existing
	return done, nil
}

// StartAndWait starts a run and settles it (Settle).
func StartAndWait[In, S any](app core.App, wf *Workflow[In, S], in In, opts StartOptions, wait time.Duration) (*Run, error) {
	run, err := Start(app, wf, in, opts)
	if err != nil {
		return run, err
	}
	return Settle(context.Background(), app, run, wait)
}
