package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// exec_nodes.go: the executor starts ready nodes, settles their results
// and advances the run along the graph's edges.

// startReady launches every ready task that is due and settles the
// instant nodes (routers, joins, due timers, waits with an event or past
// their deadline), each with its own checkpoint.
func (x *executor) startReady(now time.Time) {
	for _, id := range slices.Clone(x.run.Ready) {
		if x.ctx.Err() != nil || x.run.Status.Terminal() || x.failure != nil {
			return
		}
		if x.running[id] || !x.run.isReady(id) {
			continue
		}
		n := x.sp.nodes[id]
		if n == nil {
			x.e.versionMissing(x.run, fmt.Sprintf("node %q of %s v%d is not in this build", id, x.sp.name, x.sp.version))
			x.run.Status = StatusVersionMissing
			return
		}
		activate(x.run, n, now) // after a retry or resume
		switch n.kind {
		case kindTask:
			if nb, ok := x.run.prog.NotBefore[id]; ok && nb.After(now) {
				continue
			}
			x.launch(n, false)
		case kindSleep:
			if nb := x.run.prog.NotBefore[id]; nb.After(now) {
				continue
			}
			x.settle(id, nil, n.next, jsonText(map[string]any{"until": fmtTime(x.run.prog.NotBefore[id])}), nil)
		case kindJoin:
			x.settle(id, nil, n.next, "null", nil)
		case kindRouter:
			branch, err := safeRoute(n, x.run.State)
			if err != nil {
				x.fail(id, 1, now, now, Permanent(err))
				return
			}
			x.settle(id, nil, n.branchTargets(branch), jsonText(map[string]any{"branch": branch}), nil)
		case kindWait:
			x.checkWait(n, now)
		}
	}
}

// activate prepares a node that just became ready: a sleep's wake time, a
// wait's key and deadline. Idempotent.
func activate(r *Run, n *nodeSpec, now time.Time) {
	switch n.kind {
	case kindSleep:
		if _, ok := r.prog.NotBefore[n.id]; ok {
			return
		}
		until, err := safeUntil(n, r.State)
		if err != nil {
			until = now // a broken timer fires at once rather than never
		}
		if r.prog.NotBefore == nil {
			r.prog.NotBefore = map[string]time.Time{}
		}
		r.prog.NotBefore[n.id] = until.UTC()
	case kindWait:
		if r.prog.Wait != nil {
			return
		}
		key, err := safeKey(n, r.State)
		if err != nil || key == "" {
			key = "invalid:" + r.ID + "/" + n.id // times out; the error is in the step's output
		}
		deadline := now.Add(n.waitFor).UTC()
		if n.waitUntil != nil {
			// A broken deadline leaves the timeout in force.
			if until, err := safeWaitUntil(n, r.State); err == nil && !until.IsZero() && until.Before(deadline) {
				deadline = until.UTC()
			}
		}
		r.prog.Wait = &waitState{Node: n.id, Key: key, Deadline: deadline}
		r.WaitKey, r.WaitDeadline = key, deadline
	}
}

// launch runs a task attempt in its own goroutine under the node's
// timeout. Whichever comes first answers: the task, or the timeout (a task
// that ignores its context is left behind and its result dropped).
func (x *executor) launch(n *nodeSpec, comp bool) {
	attempt := x.run.prog.Attempts[n.id] + 1
	base := x.run.State
	run, name, log := x.run, x.sp.name, x.e.log
	env := &stepEnv{app: x.e.app, run: run, node: n.id, attempt: attempt,
		logger: sync.OnceValue(func() *slog.Logger {
			return log.With("run", run.ID, "workflow", name, "node", n.id, "attempt", attempt)
		})}
	x.running[n.id] = true
	ctx, cancel := context.WithTimeout(x.ctx, n.timeout)
	env.ctx = ctx
	started := time.Now()
	var answered atomic.Bool
	answer := func(state []byte, writes []func(core.App) error, err error) {
		if !answered.CompareAndSwap(false, true) {
			return
		}
		res := nodeResult{node: n.id, attempt: attempt, comp: comp, base: base, started: started,
			state: state, writes: writes, err: err, finished: time.Now(), abandoned: x.ctx.Err() != nil}
		x.results <- res
	}
	// Runs only if ctx ends first (timeout, cancellation, shutdown).
	stopTimeout := context.AfterFunc(ctx, func() {
		answer(nil, nil, fmt.Errorf("timed out after %s", n.timeout))
	})
	go func() {
		defer cancel()
		var state []byte
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = Permanentf("panic: %v", p)
				}
			}()
			state, err = n.task(env, base)
		}()
		if stopTimeout() {
			answer(state, env.writes, err)
		}
	}()
}

// handle books a finished attempt.
func (x *executor) handle(res nodeResult) {
	if res.abandoned {
		return
	}
	if res.err == nil && len(res.state) > maxStateSize {
		res.err = Permanentf("state is %d bytes, over the %d limit", len(res.state), maxStateSize)
	}
	if res.err != nil {
		x.fail(res.node, res.attempt, res.started, res.finished, res.err)
		return
	}
	if res.comp {
		x.compensated(res)
		return
	}
	err := x.complete(res, x.sp.nodes[res.node].next, nil, "")
	if err != nil && !errors.Is(err, errFenced) {
		// The node's own writes (or the database) failed: the attempt
		// failed, nothing of it was kept.
		x.fail(res.node, res.attempt, res.started, time.Now(), err)
	}
}

// complete checkpoints a node's success: merged state, step record, next
// ready nodes (instant ones settled inline), the node's writes, and the
// run's completion when nothing is left.
func (x *executor) complete(res nodeResult, targets []string, extra func(core.App) error, output string) error {
	now := time.Now()
	next := x.run.clone()
	var diff json.RawMessage
	if res.state != nil {
		next.State, diff = mergeState(next.State, res.base, res.state)
	}
	if output == "" {
		output = string(diff)
	}
	step := x.stepRecord(res.node, res.attempt, stepCompleted, output, "", res.started, res.finished, now)
	steps := []*StepRecord{step}
	x.markDone(next, res.node)
	x.advance(next, targets, &steps, now)
	x.finishIfDone(next, now)
	return x.commit(next, steps, res.writes, extra, now)
}

// settle completes a node that runs no code of its own (router, join,
// timer, wait) with the given output.
func (x *executor) settle(id string, state json.RawMessage, targets []string, output string, extra func(core.App) error) {
	now := time.Now()
	res := nodeResult{node: id, attempt: x.run.prog.Attempts[id] + 1, base: x.run.State, state: state, started: now, finished: now}
	if err := x.complete(res, targets, extra, output); err != nil && !errors.Is(err, errFenced) {
		x.e.log.Error("workflows: checkpoint failed", "run", x.run.ID, "node", id, "error", err)
		x.backoffAfterError()
	}
}

// backoffAfterError pauses before the loop tries again after a database
// error, so a failing database is not hammered.
func (x *executor) backoffAfterError() {
	select {
	case <-time.After(200 * time.Millisecond):
	case <-x.ctx.Done():
	}
}

func (x *executor) markDone(r *Run, id string) {
	r.removeReady(id)
	if !r.isDone(id) {
		r.Done = append(r.Done, id)
	}
	delete(r.prog.Attempts, id)
	delete(r.prog.NotBefore, id)
	if r.prog.Wait != nil && r.prog.Wait.Node == id {
		r.prog.Wait = nil
		r.WaitKey, r.WaitDeadline = "", time.Time{}
	}
}

// advance makes targets ready (joins once all their predecessors are done)
// and settles routers, joins and due timers inline, in the same checkpoint.
func (x *executor) advance(r *Run, targets []string, steps *[]*StepRecord, now time.Time) {
	queue := slices.Clone(targets)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		n := x.sp.nodes[id]
		if n == nil || r.isDone(id) || r.isReady(id) || x.running[id] {
			continue
		}
		if n.kind == kindJoin && slices.ContainsFunc(x.sp.preds[id], func(p string) bool { return !r.isDone(p) }) {
			continue
		}
		r.Ready = append(r.Ready, id)
		activate(r, n, now)
		var follow []string
		var output string
		switch n.kind {
		case kindJoin:
			follow, output = n.next, "null"
		case kindSleep:
			if r.prog.NotBefore[id].After(now) {
				continue
			}
			follow, output = n.next, jsonText(map[string]any{"until": fmtTime(r.prog.NotBefore[id])})
		case kindRouter:
			branch, err := safeRoute(n, r.State)
			if err != nil {
				continue // fails in startReady, with its own step record
			}
			follow, output = n.branchTargets(branch), jsonText(map[string]any{"branch": branch})
		default:
			continue
		}
		*steps = append(*steps, x.stepRecord(id, 1, stepCompleted, output, "", now, now, now))
		x.markDone(r, id)
		queue = append(queue, follow...)
	}
}
