package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// exec.go: one run in the hands of one worker. The executor starts the
// ready nodes (tasks in goroutines, so a fan-out runs in parallel),
// checkpoints each completion in its own short transaction, and parks the
// run (sleeping or waiting, lease released) when nothing can run for a
// while. No transaction is ever open while a node runs. Its parts:
// exec_nodes.go (start, settle, advance), exec_checkpoint.go (commit, end),
// exec_failure.go (failure, compensation), exec_park.go (waits, parking)
// and exec_safe.go (step records, the workflow's functions run safely).

// parkAfter: a run whose next node is due sooner keeps its lease and
// waits in memory; later than that it is parked and its lease released.
const parkAfter = time.Second

// maxStateSize matches the state field's limit.
const maxStateSize = 4 << 20

type executor struct {
	e       *Engine
	sp      *spec
	run     *Run   // last committed checkpoint (plus in-memory activations)
	stored  runRow // the run's columns as last written
	fence   string // the lease token this executor commits under
	ctx     context.Context
	cancel  context.CancelFunc
	running map[string]bool
	results chan nodeResult
	failure *failure
	pending *held // checkpoints held for the next one (exec_chain.go)
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
		e: e, sp: sp, run: run, stored: run.row(run.Updated), fence: run.LeaseOwner, ctx: ctx, cancel: cancel,
		running: map[string]bool{},
		results: make(chan nodeResult, len(sp.nodes)+1),
	}
	e.mu.Lock()
	e.executing[run.ID] = x
	e.mu.Unlock()
	e.executors.Add(1)
	defer func() {
		e.executors.Add(-1)
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
	x.flush() // held checkpoints are written however the loop ended (not after a panic)
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
			x.flush() // the chain ends here: nothing of it runs any more
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
		// backoff beside a slow branch), and held checkpoints must be
		// written in time.
		var due <-chan time.Time
		var timer *time.Timer
		wait := time.Duration(-1)
		if wake := x.nextWake(); !wake.IsZero() && !draining && x.failure == nil {
			wait = max(time.Until(wake), time.Millisecond)
		}
		if flush := x.flushDue(); !flush.IsZero() && (wait < 0 || time.Until(flush) < wait) {
			wait = max(time.Until(flush), 0)
		}
		if wait >= 0 {
			timer = time.NewTimer(wait)
			due = timer.C
		}
		select {
		case res := <-x.results:
			delete(x.running, res.node)
			x.handle(res)
		case <-due:
			if flush := x.flushDue(); !flush.IsZero() && !time.Now().Before(flush) {
				x.flush()
			}
		case <-x.ctx.Done():
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}
