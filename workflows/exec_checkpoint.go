package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// exec_checkpoint.go: the executor ends a run and commits each checkpoint
// (the run, its steps and the node's writes) in one short transaction.

// finishIfDone marks the run completed when no node is ready or running.
func (x *executor) finishIfDone(r *Run, now time.Time) {
	if len(r.Ready) > 0 || len(x.running) > 0 || r.compensating() {
		return
	}
	result, err := x.sp.result(r.State)
	if err != nil {
		result = json.RawMessage(jsonText(map[string]string{"error": "result: " + err.Error()}))
	}
	r.Status = StatusCompleted
	r.Result = result
	x.endRun(r, now)
}

// endRun clears what only a live run needs.
func (x *executor) endRun(r *Run, now time.Time) {
	r.Finished = now
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	r.WakeAt, r.WaitKey, r.WaitDeadline = time.Time{}, "", time.Time{}
	r.prog.NotBefore, r.prog.Wait = nil, nil
}

// completeEmpty ends a run that has nothing left to do.
func (x *executor) completeEmpty(now time.Time) {
	next := x.run.clone()
	if next.compensating() {
		next.Status = next.prog.Outcome
		next.prog.Compensate = nil
		x.endRun(next, now)
	} else {
		x.finishIfDone(next, now)
	}
	if err := x.commit(next, nil, nil, nil, now); err != nil && !errors.Is(err, errFenced) {
		x.backoffAfterError()
	}
}

// commit writes a checkpoint in one short transaction, fenced on the lease,
// with the steps held before it; or holds it for the next one
// (exec_chain.go).
func (x *executor) commit(next *Run, steps []*StepRecord, writes []func(core.App) error, extra func(core.App) error, now time.Time) error {
	if x.hold(next, steps, writes, extra, now) {
		return nil
	}
	if x.pending != nil {
		steps = append(x.pending.steps[:len(x.pending.steps):len(x.pending.steps)], steps...)
	}
	began := time.Now()
	next.Updated = now
	row := next.row(now)
	changed := row.changed(&x.stored)
	err := x.e.write(len(writes) > 0, func(tx core.App) error {
		if err := saveRow(x.e.statements(), tx, next.ID, &row, changed, x.fence); err != nil {
			return err
		}
		for _, s := range steps {
			if err := insertStep(x.e.statements(), tx, s); err != nil {
				return err
			}
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		for _, w := range writes {
			if err := w(tx); err != nil {
				return fmt.Errorf("node write: %w", err)
			}
		}
		return nil
	})
	x.e.checkpointObserved(time.Since(began))
	if errors.Is(err, errFenced) {
		x.pending = nil // the run is someone else's (or cancelled)
		x.cancel()
		return err
	}
	if err != nil {
		return err
	}
	x.run, x.stored, x.pending = next, row, nil
	x.e.publishRow(next, &row, false)
	x.e.publishSteps(steps)
	if next.Status.Terminal() || next.Status == StatusSleeping || next.Status == StatusWaiting {
		x.e.notify(next.ID) // AwaitSettled returns for some parked runs
	}
	return nil
}
