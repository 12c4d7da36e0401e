package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// exec_failure.go: a node that failed for good, and the compensation that
// undoes the completed nodes in reverse.

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
