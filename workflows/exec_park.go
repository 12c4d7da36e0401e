package workflows

import (
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// exec_park.go: waits for events, the next wake-up, parking a run (its
// lease released) and a run whose definition this build lacks.

// checkWait settles a wait with the oldest unconsumed event for its key, or
// with its timeout branch once the deadline passed.
func (x *executor) checkWait(n *nodeSpec, now time.Time) {
	w := x.run.prog.Wait
	if w == nil || w.Node != n.id {
		x.fail(n.id, 1, now, now, Permanentf("wait %s: the run already waits for another event; a run waits for one event at a time", n.id))
		return
	}
	ev, err := findEvent(x.e.app, w.Key)
	if err != nil {
		x.e.log.Error("workflows: reading the event inbox failed", "run", x.run.ID, "error", err)
		return
	}
	if ev != nil {
		state := x.run.State
		if n.receive != nil {
			state, err = safeReceive(n, state, *ev)
			if err != nil {
				x.fail(n.id, 1, now, now, err)
				return
			}
		}
		output := jsonText(map[string]any{"event": ev.ID, "key": ev.Key, "event_id": ev.EventID})
		x.settle(n.id, state, n.next, output, func(tx core.App) error {
			return consumeEvent(tx, ev.ID, x.run.ID, n.id, now)
		})
		return
	}
	if !now.Before(w.Deadline) {
		x.settle(n.id, nil, []string{n.onTimeout}, jsonText(map[string]any{"timed_out": true, "key": w.Key}), nil)
	}
}

// nextWake is when something of this run can next proceed (zero: nothing
// is pending at all).
func (x *executor) nextWake() time.Time {
	var wake time.Time
	consider := func(t time.Time) {
		if wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	if x.run.compensating() {
		if len(x.run.prog.Compensate) > 0 && !x.running[x.run.prog.Compensate[0]] {
			consider(x.run.prog.NotBefore[x.run.prog.Compensate[0]])
			if wake.IsZero() {
				wake = time.Now()
			}
		}
		return wake
	}
	for _, id := range x.run.Ready {
		if x.running[id] {
			continue
		}
		n := x.sp.nodes[id]
		switch {
		case n != nil && n.kind == kindWait && x.run.prog.Wait != nil:
			consider(x.run.prog.Wait.Deadline)
		case !x.run.prog.NotBefore[id].IsZero():
			consider(x.run.prog.NotBefore[id])
		default:
			consider(time.Now())
		}
	}
	return wake
}

// park releases the run until wake: sleeping, or waiting when a wait is
// pending. A waiting run re-checks the inbox in the same transaction, so
// an event that arrived meanwhile is never missed. It reports false when
// the run must go on instead.
func (x *executor) park(wake time.Time) bool {
	now := time.Now()
	next := x.run.clone()
	next.Status = StatusSleeping
	var extra func(core.App) error
	if w := next.prog.Wait; w != nil {
		next.Status = StatusWaiting
		next.WaitKey, next.WaitDeadline = w.Key, w.Deadline
		extra = func(tx core.App) error {
			ev, err := findEvent(tx, w.Key)
			if err != nil {
				return err
			}
			if ev != nil {
				return errEventArrived
			}
			return nil
		}
	}
	next.WakeAt = wake
	next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	err := x.commit(next, nil, nil, extra, now)
	if errors.Is(err, errEventArrived) {
		return false
	}
	if err != nil && !errors.Is(err, errFenced) {
		x.e.log.Error("workflows: parking failed", "run", x.run.ID, "error", err)
		x.backoffAfterError()
		return false
	}
	return true
}

var errEventArrived = errors.New("an event arrived")

// versionMissing marks a run whose definition is not in this build.
func (e *Engine) versionMissing(r *Run, msg string) {
	now := time.Now()
	next := r.clone()
	next.Status = StatusVersionMissing
	next.Error = msg
	next.LeaseOwner, next.LeaseUntil = "", time.Time{}
	err := e.write(false, func(tx core.App) error {
		return saveRun(e.statements(), tx, next, r.LeaseOwner, now)
	})
	if err == nil {
		e.publishRun(next, false)
		e.notify(r.ID)
		e.log.Warn("workflows: version missing", "run", r.ID, "workflow", r.Name, "version", r.Version)
	}
}
