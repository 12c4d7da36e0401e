package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// control.go: what operators do to runs (routes and CLI): cancel, retry
// from a node, resume. Each is one transaction on the run's row; a worker
// holding the run notices at its next checkpoint (fenced on the lease this
// clears) or at once when it runs in this process.

// Cancel stops a run that has not ended: status cancelled, a running
// node's context cancelled, its ready nodes kept for Resume. reason is
// recorded in the run's error.
func Cancel(app core.App, id, reason string) (*Run, error) {
	return control(app, id, func(r *Run, sp *spec, now time.Time) error {
		if r.Status.Terminal() {
			return &StateError{r.Status, fmt.Sprintf("the run is %s; only a run that has not ended can be cancelled", r.Status)}
		}
		r.Status = StatusCancelled
		r.Error = "cancelled"
		if reason != "" {
			r.Error += ": " + reason
		}
		if len(r.Ready) > 0 {
			r.prog.Stopped = r.Ready
		}
		r.Ready = []string{}
		r.prog.NotBefore, r.prog.Wait, r.prog.Compensate = nil, nil, nil
		stopRun(r, now)
		return nil
	})
}

// Retry runs a stopped run (failed, dead_letter, cancelled or completed)
// again from node from, which reruns from and everything after it (the
// other ready branches resume too). Without from it reruns the node that
// failed. Attempt counters restart.
func Retry(app core.App, id, from string) (*Run, error) {
	return control(app, id, func(r *Run, sp *spec, now time.Time) error {
		switch r.Status {
		case StatusFailed, StatusDeadLetter, StatusCancelled, StatusCompleted:
		default:
			return &StateError{r.Status, fmt.Sprintf("the run is %s; retry applies to failed, dead_letter, cancelled or completed runs", r.Status)}
		}
		if sp == nil {
			return &StateError{r.Status, fmt.Sprintf("workflow %s v%d is not registered in this build", r.Name, r.Version)}
		}
		var starts []string
		switch {
		case from != "":
			if sp.nodes[from] == nil || sp.comp[from] {
				return &StateError{r.Status, fmt.Sprintf("workflow %s v%d has no node %q to retry from", r.Name, r.Version, from)}
			}
			starts = []string{from}
		case r.prog.Failed != "":
			starts = []string{r.prog.Failed}
		case len(r.prog.Stopped) > 0:
			starts = slices.Clone(r.prog.Stopped)
		default:
			return &StateError{r.Status, "nothing failed: name the node to retry from"}
		}
		// Other branches that were stopped go on too; nodes upstream of the
		// restart point do not (they ran, or were skipped on purpose).
		redo := sp.reachable(starts...)
		restartAt := slices.Clone(starts)
		for _, id := range r.prog.Stopped {
			upstream := slices.ContainsFunc(restartAt, func(s string) bool { return sp.reachable(id)[s] })
			if !redo[id] && !upstream {
				starts = append(starts, id)
			}
		}
		r.Done = slices.DeleteFunc(slices.Clone(r.Done), func(id string) bool { return redo[id] || sp.comp[id] })
		restart(r, starts)
		return nil
	})
}

// Resume continues a run from its last checkpoint: a sleeping run's timers
// fire now, a waiting run looks at its inbox now, and a failed,
// dead_letter, cancelled or version_missing run goes on with the nodes that
// were ready when it stopped (a version_missing run once its version is
// registered again).
func Resume(app core.App, id string) (*Run, error) {
	return control(app, id, func(r *Run, sp *spec, now time.Time) error {
		switch r.Status {
		case StatusSleeping:
			for _, id := range r.Ready {
				delete(r.prog.NotBefore, id)
			}
			r.WakeAt = now
		case StatusWaiting:
			r.WakeAt = now
		case StatusFailed, StatusDeadLetter, StatusCancelled:
			starts := slices.Clone(r.prog.Stopped)
			if r.prog.Failed != "" && !slices.Contains(starts, r.prog.Failed) {
				starts = append(starts, r.prog.Failed)
			}
			if len(starts) == 0 {
				return &StateError{r.Status, "the run stopped with nothing ready: retry it from a node"}
			}
			if sp == nil {
				return &StateError{r.Status, fmt.Sprintf("workflow %s v%d is not registered in this build", r.Name, r.Version)}
			}
			restart(r, starts)
		case StatusVersionMissing:
			if sp == nil {
				return &StateError{r.Status, fmt.Sprintf("workflow %s v%d is still not registered in this build", r.Name, r.Version)}
			}
			r.Status, r.Error = StatusPending, ""
		default:
			return &StateError{r.Status, fmt.Sprintf("the run is %s; there is nothing to resume", r.Status)}
		}
		return nil
	})
}

// restart puts a stopped run back in line with ready nodes starts.
func restart(r *Run, starts []string) {
	r.Status = StatusPending
	r.Ready = starts
	r.prog = progress{}
	r.Error, r.Result = "", json.RawMessage("null")
	r.Finished = time.Time{}
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	r.WakeAt, r.WaitKey, r.WaitDeadline = time.Time{}, "", time.Time{}
}

// stopRun clears what only a live run needs.
func stopRun(r *Run, now time.Time) {
	r.Finished = now
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	r.WakeAt, r.WaitKey, r.WaitDeadline = time.Time{}, "", time.Time{}
}

// control loads, changes and saves a run in one transaction, then tells
// this process's engine.
func control(app core.App, id string, change func(r *Run, sp *spec, now time.Time) error) (*Run, error) {
	eng := EngineOf(app)
	var out *Run
	err := inTx(app, func(tx core.App) error {
		r, err := loadRun(tx, id)
		if err != nil {
			return err
		}
		var sp *spec
		if eng != nil {
			sp = eng.reg.lookup(r.Name, r.Version)
		}
		now := time.Now()
		if err := change(r, sp, now); err != nil {
			return err
		}
		if err := saveRun(eng.statements(), tx, r, "", now); err != nil {
			return err
		}
		out = r
		if eng != nil {
			afterCommit(tx, func() {
				eng.publishRun(r, false)
				if r.Status.Terminal() {
					eng.cancelLocal(r.ID)
					eng.notify(r.ID)
				} else {
					eng.poke(r.ID)
				}
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
