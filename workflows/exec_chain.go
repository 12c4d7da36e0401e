package workflows

import (
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// exec_chain.go: a run of quick tasks in a row commits once per chain,
// not once per node. When a task completes without database writes of its
// own and the run's only next step is a task that can start at once, its
// checkpoint is held (pending) and the next task starts; the held steps
// commit with the next checkpoint that is written, in the same
// transaction, or when the chain is chainWait old (Engine.chainWait) or
// maxChain steps long, whichever comes first.
//
// What stays: a node's database writes (Step.Write, Mail) commit exactly
// once, in one transaction with its step record and the state it made: a
// checkpoint that carries writes is never held, and the steps held before
// it commit with it, all or nothing; the chain is cut before a sleep, a
// wait, a fan-out, a failure and the run's end. What changes: a task may
// start before its predecessor's checkpoint is durable. After a crash in
// that window (at most chainWait) both run again, as a node whose
// checkpoint was not written always has; their calls outside the process
// happen at least once, with the same Step.IdempotencyKey. Announcements
// follow the commits: one run row per commit (its done list names every
// step of the chain) and one step record per step.

const (
	chainWait = 2 * time.Millisecond // longest a completed step's checkpoint is held
	maxChain  = 16                   // steps held at most (bounds the reruns after a crash)
)

// held is a chain's checkpoints not yet written: the steps and when the
// first of them completed. The run they lead to is x.run.
type held struct {
	steps []*StepRecord
	since time.Time
}

// hold reports whether next's checkpoint can wait for the next one (and
// then keeps it, making next the run's in-memory state).
func (x *executor) hold(next *Run, steps []*StepRecord, writes []func(core.App) error, extra func(core.App) error, now time.Time) bool {
	if len(writes) > 0 || extra != nil || len(x.running) > 0 || x.failure != nil ||
		next.Status != StatusRunning || next.compensating() || len(next.Ready) != 1 {
		return false
	}
	n := x.sp.nodes[next.Ready[0]]
	if n == nil || n.kind != kindTask || next.prog.NotBefore[n.id].After(now) {
		return false
	}
	if x.e.chainWait <= 0 || x.pending != nil && (len(x.pending.steps)+len(steps) > maxChain || now.Sub(x.pending.since) >= x.e.chainWait) {
		return false
	}
	if x.ctx.Err() != nil || x.e.isDraining() {
		return false
	}
	if x.pending == nil {
		x.pending = &held{since: now}
	}
	x.pending.steps = append(x.pending.steps, steps...)
	x.run = next
	return true
}

// flush writes the held checkpoints (the run as it is in memory). If that
// fails they stay held: the next checkpoint written carries them.
func (x *executor) flush() {
	if x.pending == nil {
		return
	}
	if err := x.commit(x.run.clone(), nil, nil, nil, time.Now()); err != nil && !errors.Is(err, errFenced) {
		x.e.log.Error("workflows: checkpoint failed", "run", x.run.ID, "error", err)
		x.backoffAfterError()
	}
}

// flushDue is when the held checkpoints must be written (zero: none held).
func (x *executor) flushDue() time.Time {
	if x.pending == nil {
		return time.Time{}
	}
	return x.pending.since.Add(x.e.chainWait)
}
