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
// executed elsewhere are polled.
func Await(ctx context.Context, app core.App, id string) (*Run, error) {
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
		if err != nil || r.Status.Terminal() {
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

// StartAndWait starts a run and waits up to wait for it to end: the sync
// or async answer of a route (200 with the result when Status is
// completed, 202 with the run's id otherwise).
func StartAndWait[In, S any](app core.App, wf *Workflow[In, S], in In, opts StartOptions, wait time.Duration) (*Run, error) {
	run, err := Start(app, wf, in, opts)
	if err != nil || run.Status.Terminal() {
		return run, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return Await(ctx, app, run.ID)
}
