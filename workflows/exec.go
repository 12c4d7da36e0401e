package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// exec.go: one run in the hands of one worker. The executor starts the
// ready nodes (tasks in goroutines, so a fan-out runs in parallel),
// checkpoints each completion in its own short transaction, and parks the
// run (sleeping or waiting, lease released) when nothing can run for a
// while. No transaction is ever open while a node runs.

// parkAfter: a run whose next node is due sooner keeps its lease and
// waits in memory; later than that it is parked and its lease released.
const parkAfter = time.Second

// maxStateSize matches the state field's limit.
const maxStateSize = 4 << 20

type executor struct {
	e       *Engine
	sp      *spec
	run     *Run       // last committed checkpoint (plus in-memory activations)
	stored  dbx.Params // the run's columns as last written
	fence   string     // the lease token this executor commits under
	ctx     context.Context
	cancel  context.CancelFunc
	running map[string]bool
	results chan nodeResult
	failure *failure
}

// failure is a permanent node failure waiting for the run's other running
// nodes to finish before compensation starts.
type failure struct {
	node    string
	err     error
	outcome Status
	steps   []*StepRecord
}

type nodeResult struct {
	node      string
	attempt   int
	comp      bool
	base      json.RawMessage // the state the node started from
	state     json.RawMessage // the state it returned
	writes    []func(core.App) error
	err       error
	abandoned bool
	started   time.Time
	finished  time.Time
}

// execute claims (if needed) and drives one run until it parks, ends, is
// cancelled or the engine drains.
func (e *Engine) execute(j job) {
	run := j.run
	if run == nil {
		claimed, err := e.claim(j.id)
		if err != nil {
			e.log.Error("workflows: claim failed", "run", j.id, "error", err)
		}
		if claimed == nil {
			return
		}
		run = claimed
	}
	sp := e.reg.lookup(run.Name, run.Version)
	if sp == nil {
		e.versionMissing(run, fmt.Sprintf("workflow %s v%d is not registered in this build", run.Name, run.Version))
		return
	}
	ctx, cancel := context.WithCancel(e.runCtx)
	defer cancel()
	x := &executor{
		e: e, sp: sp, run: run, stored: run.mutableColumns(run.Updated), fence: run.LeaseOwner, ctx: ctx, cancel: cancel,
		running: map[string]bool{},
		results: make(chan nodeResult, len(sp.nodes)+1),
	}
	e.mu.Lock()
	e.executing[run.ID] = x
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.executing, run.ID)
		e.mu.Unlock()
	}()
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("workflows: executor panicked; the run resumes when its lease expires", "run", run.ID, "panic", p)
		}
	}()
	x.loop()
}

func (x *executor) loop() {
	for {
		if x.ctx.Err() != nil || x.run.Status.Terminal() || x.run.Status == StatusVersionMissing {
			return
		}
		now := time.Now()
		draining := x.e.isDraining()
		if !draining && x.failure == nil {
			if x.run.compensating() {
				x.startCompensation(now)
			} else {
				x.startReady(now)
			}
			if x.ctx.Err() != nil || x.run.Status.Terminal() || x.run.Status == StatusVersionMissing {
				return
			}
		}
		if len(x.running) == 0 {
			if x.failure != nil {
				x.beginCompensation()
				continue
			}
			if draining {
				return // the engine releases the lease; another start resumes here
			}
			wake := x.nextWake()
			if wake.IsZero() {
				// Nothing ready and nothing running: only possible if the
				// checkpoint could not mark the run completed (e.g. resumed
				// with an empty ready set).
				x.completeEmpty(now)
				if x.run.Status.Terminal() {
					return
				}
				continue
			}
			if wait := time.Until(wake); wait > 0 {
				if wait > parkAfter {
					if x.park(wake) {
						return
					}
					continue
				}
				timer := time.NewTimer(wait)
				select {
				case <-timer.C:
				case <-x.ctx.Done():
					timer.Stop()
					return
				}
			}
			continue
		}
		// Nodes are running; a ready node may fall due meanwhile (a retry
		// backoff beside a slow branch).
		var due <-chan time.Time
		var timer *time.Timer
		if wake := x.nextWake(); !wake.IsZero() && !draining && x.failure == nil {
			timer = time.NewTimer(max(time.Until(wake), time.Millisecond))
			due = timer.C
		}
		select {
		case res := <-x.results:
			delete(x.running, res.node)
			x.handle(res)
		case <-due:
		case <-x.ctx.Done():
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

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

// launch runs a task attempt in its own goroutine under the node's timeout.
func (x *executor) launch(n *nodeSpec, comp bool) {
	attempt := x.run.prog.Attempts[n.id] + 1
	base := x.run.State
	env := &stepEnv{app: x.e.app, run: x.run, node: n.id, attempt: attempt,
		logger: x.e.log.With("run", x.run.ID, "workflow", x.sp.name, "node", n.id, "attempt", attempt)}
	x.running[n.id] = true
	go func() {
		ctx, cancel := context.WithTimeout(x.ctx, n.timeout)
		defer cancel()
		env.ctx = ctx
		res := nodeResult{node: n.id, attempt: attempt, comp: comp, base: base, started: time.Now()}
		type outcome struct {
			state []byte
			err   error
		}
		done := make(chan outcome, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- outcome{err: Permanentf("panic: %v", p)}
				}
			}()
			state, err := n.task(env, base)
			done <- outcome{state, err}
		}()
		select {
		case out := <-done:
			res.state, res.err = out.state, out.err
			res.writes = env.writes
		case <-ctx.Done():
			res.err = fmt.Errorf("timed out after %s", n.timeout)
		}
		res.finished = time.Now()
		if x.ctx.Err() != nil {
			res.abandoned = true
		}
		x.results <- res
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

// commit writes a checkpoint in one short transaction, fenced on the lease.
func (x *executor) commit(next *Run, steps []*StepRecord, writes []func(core.App) error, extra func(core.App) error, now time.Time) error {
	began := time.Now()
	next.Updated = now
	cols := next.mutableColumns(now)
	changed := changedColumns(x.stored, cols)
	err := x.e.write(len(writes) > 0, func(tx core.App) error {
		if err := saveColumns(tx, next.ID, changed, x.fence); err != nil {
			return err
		}
		for _, s := range steps {
			if err := insertStep(tx, s); err != nil {
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
		x.cancel()
		return err
	}
	if err != nil {
		return err
	}
	x.run, x.stored = next, cols
	x.e.publishRun(next, false)
	x.e.publishSteps(steps)
	if next.Status.Terminal() {
		x.e.notify(next.ID)
	}
	return nil
}

// fail books a failed attempt: a retry after a backoff, or (permanent or
// out of attempts) the start of the run's failure.
func (x *executor) fail(id string, attempt int, started, finished time.Time, cause error) {
	now := time.Now()
	n := x.sp.nodes[id]
	permanent := IsPermanent(cause) || n.kind != kindTask || attempt >= n.retry.MaxAttempts
	if x.run.compensating() {
		x.compensationFailed(id, attempt, started, finished, cause, permanent)
		return
	}
	if !permanent {
		next := x.run.clone()
		if next.prog.Attempts == nil {
			next.prog.Attempts = map[string]int{}
		}
		if next.prog.NotBefore == nil {
			next.prog.NotBefore = map[string]time.Time{}
		}
		next.prog.Attempts[id] = attempt
		next.prog.NotBefore[id] = now.Add(n.retry.backoff(attempt))
		step := x.stepRecord(id, attempt, stepRetrying, "", cause.Error(), started, finished, now)
		if err := x.commit(next, []*StepRecord{step}, nil, nil, now); err != nil && !errors.Is(err, errFenced) {
			x.backoffAfterError()
		}
		return
	}
	outcome := StatusFailed
	if !IsPermanent(cause) && n.kind == kindTask {
		outcome = StatusDeadLetter // out of retries
	}
	step := x.stepRecord(id, attempt, stepFailed, "", cause.Error(), started, finished, now)
	if x.failure != nil {
		x.failure.steps = append(x.failure.steps, step)
		return
	}
	x.failure = &failure{node: id, err: cause, outcome: outcome, steps: []*StepRecord{step}}
}

// beginCompensation stops the run's forward progress after a failure and
// queues the compensations of the completed tasks, latest first.
func (x *executor) beginCompensation() {
	f := x.failure
	now := time.Now()
	next := x.run.clone()
	next.prog.Failed = f.node
	next.prog.Outcome = f.outcome
	next.prog.Stopped = slices.Clone(next.Ready)
	next.Ready = nil
	next.prog.NotBefore, next.prog.Wait = nil, nil
	next.WakeAt, next.WaitKey, next.WaitDeadline = time.Time{}, "", time.Time{}
	next.Error = fmt.Sprintf("node %s: %v", f.node, f.err)
	next.prog.Compensate = nil
	for i := len(next.Done) - 1; i >= 0; i-- {
		if n := x.sp.nodes[next.Done[i]]; n != nil && n.compensate != "" && !slices.Contains(next.prog.Compensate, n.compensate) {
			next.prog.Compensate = append(next.prog.Compensate, n.compensate)
		}
	}
	if len(next.prog.Compensate) == 0 {
		next.Status = f.outcome
		x.endRun(next, now)
	}
	if err := x.commit(next, f.steps, nil, nil, now); err != nil {
		if !errors.Is(err, errFenced) {
			x.backoffAfterError() // keep x.failure: try again
		}
		return
	}
	x.failure = nil
	if next.Status.Terminal() {
		x.e.log.Warn("workflows: run stopped", "run", next.ID, "workflow", next.Name, "status", next.Status, "error", next.Error)
	}
}

// startCompensation runs the next compensation (one at a time, in order).
func (x *executor) startCompensation(now time.Time) {
	if len(x.running) > 0 || len(x.run.prog.Compensate) == 0 {
		return
	}
	id := x.run.prog.Compensate[0]
	if nb, ok := x.run.prog.NotBefore[id]; ok && nb.After(now) {
		return
	}
	x.launch(x.sp.nodes[id], true)
}

// compensated checkpoints a finished compensation.
func (x *executor) compensated(res nodeResult) {
	now := time.Now()
	next := x.run.clone()
	if res.state != nil {
		next.State, _ = mergeState(next.State, res.base, res.state)
	}
	next.prog.Compensate = slices.DeleteFunc(next.prog.Compensate, func(s string) bool { return s == res.node })
	delete(next.prog.Attempts, res.node)
	delete(next.prog.NotBefore, res.node)
	next.Done = append(next.Done, res.node)
	if len(next.prog.Compensate) == 0 {
		next.Status = next.prog.Outcome
		x.endRun(next, now)
	}
	step := x.stepRecord(res.node, res.attempt, stepCompleted, `{"compensation":true}`, "", res.started, res.finished, now)
	if err := x.commit(next, []*StepRecord{step}, res.writes, nil, now); err != nil && !errors.Is(err, errFenced) {
		x.fail(res.node, res.attempt, res.started, time.Now(), err)
	}
}

// compensationFailed retries a compensation, or gives up: the run ends in
// dead_letter with the compensations not yet run left in its progress.
func (x *executor) compensationFailed(id string, attempt int, started, finished time.Time, cause error, permanent bool) {
	now := time.Now()
	next := x.run.clone()
	status := stepRetrying
	if permanent {
		status = stepFailed
		next.Status = StatusDeadLetter
		next.Error += fmt.Sprintf("; compensation %s failed: %v", id, cause)
		x.endRun(next, now)
	} else {
		if next.prog.Attempts == nil {
			next.prog.Attempts = map[string]int{}
		}
		if next.prog.NotBefore == nil {
			next.prog.NotBefore = map[string]time.Time{}
		}
		next.prog.Attempts[id] = attempt
		next.prog.NotBefore[id] = now.Add(x.sp.nodes[id].retry.backoff(attempt))
	}
	step := x.stepRecord(id, attempt, status, `{"compensation":true}`, cause.Error(), started, finished, now)
	if err := x.commit(next, []*StepRecord{step}, nil, nil, now); err != nil && !errors.Is(err, errFenced) {
		x.backoffAfterError()
	}
}

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
		return saveRun(tx, next, r.LeaseOwner, now)
	})
	if err == nil {
		e.publishRun(next, false)
		e.log.Warn("workflows: version missing", "run", r.ID, "workflow", r.Name, "version", r.Version)
	}
}

func (x *executor) stepRecord(node string, attempt int, status, output, errText string, started, finished, now time.Time) *StepRecord {
	if output == "" {
		output = "null"
	}
	return &StepRecord{
		ID: core.GenerateDefaultRandomId(), Run: x.run.ID, Node: node, Attempt: max(attempt, 1), Status: status,
		Output: json.RawMessage(output), Error: errText, Started: started, Finished: finished,
		DurationMS: float64(finished.Sub(started).Microseconds()) / 1000, Created: now,
	}
}

// The user's pure node functions, with panics turned into errors.
func safeRoute(n *nodeSpec, state []byte) (branch string, err error) {
	defer recoverInto(&err)
	return n.route(state)
}

func safeUntil(n *nodeSpec, state []byte) (t time.Time, err error) {
	defer recoverInto(&err)
	return n.until(state)
}

func safeWaitUntil(n *nodeSpec, state []byte) (t time.Time, err error) {
	defer recoverInto(&err)
	return n.waitUntil(state)
}

func safeKey(n *nodeSpec, state []byte) (key string, err error) {
	defer recoverInto(&err)
	return n.waitKey(state)
}

func safeReceive(n *nodeSpec, state []byte, ev Event) (out []byte, err error) {
	defer recoverInto(&err)
	return n.receive(state, ev)
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = Permanentf("panic: %v", p)
	}
}
