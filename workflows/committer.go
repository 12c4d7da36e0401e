package workflows

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/pocketbase/pocketbase/core"
)

// committer.go: group commit. SQLite has one writer; PocketBase gives it
// one connection, and goroutines that queue for it convoy on two cores
// (the holder is preempted while the others wait). The engine's own writes
// (checkpoints, claims, starts) therefore queue here, and one writer at a
// time, the leader, commits whatever is queued in a single transaction,
// each write inside its own SAVEPOINT so one that fails (a lost lease, an
// event taken meanwhile) is rolled back alone. The leader is a caller, not
// a goroutine of its own: a write that finds nobody committing commits at
// once on its own goroutine, with no hand-over to another goroutine and
// back (which, on two busy cores, cost more than the commit); writes that
// arrive meanwhile wait, and the leader hands the lead to the first of
// them when its batch is done. Writes that save records through PocketBase
// (a node's Step.Write) get a transaction of their own: PocketBase runs
// their after-save hooks when the transaction commits, which must not
// happen for a write rolled back to its savepoint.

type commitReq struct {
	fn    func(tx core.App) error
	alone bool
	done  chan commitAnswer // buffered: the answer, or the lead
}

type commitAnswer struct {
	err  error
	lead bool // commit the queue now
}

// maxBatch bounds one group commit (keeps each transaction short).
const maxBatch = 64

// write runs fn in a transaction: batched with other engine writes while
// the engine runs, directly otherwise. alone: fn saves records through
// PocketBase.
func (e *Engine) write(alone bool, fn func(tx core.App) error) error {
	e.mu.Lock()
	grouped := e.grouping
	e.mu.Unlock()
	if !grouped {
		return e.app.RunInTransaction(fn)
	}
	req := &commitReq{fn: fn, alone: alone, done: make(chan commitAnswer, 1)}
	e.cmu.Lock()
	e.commitQueue = append(e.commitQueue, req)
	leading := !e.committing
	e.committing = true
	e.cmu.Unlock()
	if !leading {
		a := <-req.done
		if !a.lead {
			return a.err
		}
	}
	return e.lead(req)
}

// lead commits the queue's head (req is first in it) as one batch, then
// passes the lead to whoever queued meanwhile.
func (e *Engine) lead(req *commitReq) (err error) {
	e.statements().prepareWanted() // needs the writer's connection: before the transaction
	if e.executors.Load() > 1 {
		// Other runs are executing here: let their checkpoints, likely
		// ready to be queued, join this batch. Nothing else runnable: this
		// returns at once.
		runtime.Gosched()
	}
	e.cmu.Lock()
	n := 1
	if !req.alone {
		for n < len(e.commitQueue) && n < maxBatch && !e.commitQueue[n].alone {
			n++
		}
	}
	batch := e.commitQueue[:n:n]
	e.commitQueue = e.commitQueue[n:]
	e.cmu.Unlock()

	defer func() {
		e.cmu.Lock()
		if len(e.commitQueue) > 0 {
			e.commitQueue[0].done <- commitAnswer{lead: true}
		} else {
			e.committing = false
		}
		e.cmu.Unlock()
	}()
	errs := e.safeCommit(batch)
	for i, r := range batch[1:] {
		r.done <- commitAnswer{err: errs[i+1]}
	}
	return errs[0]
}

// safeCommit is commitBatch with a panic outside the writes (in the
// driver, say) turned into every write's error: each one's caller waits
// for an answer.
func (e *Engine) safeCommit(batch []*commitReq) (errs []error) {
	defer func() {
		if p := recover(); p != nil {
			errs = make([]error, len(batch))
			for i := range errs {
				errs[i] = fmt.Errorf("panic in a group commit: %v", p)
			}
		}
	}()
	return e.commitBatch(batch)
}

// errRedo: a write of the batch failed; it is committed again with each
// write in its own savepoint.
var errRedo = errors.New("workflows: a write of the batch failed")

// commitBatch commits the batch in one transaction and returns each
// write's error. The writes run back to back first; only if one fails is
// the transaction rolled back and run again with each write in its own
// savepoint, so the failed one is undone alone. (A savepoint makes SQLite
// copy every page a write touches to its sub-journal first, which cost as
// much as the writes; failures are rare: a lost lease, an event taken.)
// A write's function may therefore run twice; the first run's effects are
// rolled back, and afterCommit callbacks only run on commit.
func (e *Engine) commitBatch(batch []*commitReq) []error {
	errs := make([]error, len(batch))
	if len(batch) == 1 {
		errs[0] = e.app.RunInTransaction(batch[0].safeFn)
		return errs
	}
	err := e.app.RunInTransaction(func(tx core.App) error {
		for i, r := range batch {
			if errs[i] = r.safeFn(tx); errs[i] != nil {
				return errRedo
			}
		}
		return nil
	})
	if !errors.Is(err, errRedo) {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	clear(errs)
	stmts := e.statements()
	err = e.app.RunInTransaction(func(tx core.App) error {
		for i, r := range batch {
			if _, err := execSQL(stmts, tx, "SAVEPOINT wf"); err != nil {
				return err
			}
			errs[i] = r.safeFn(tx)
			if errs[i] != nil {
				if _, err := execSQL(stmts, tx, "ROLLBACK TO wf"); err != nil {
					return err
				}
			}
			if _, err := execSQL(stmts, tx, "RELEASE wf"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// safeFn runs the request, turning a panic (in a node's Write, say) into
// its error: the leader commits for every run and must not die with one.
func (r *commitReq) safeFn(tx core.App) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a checkpoint write: %v", p)
		}
	}()
	return r.fn(tx)
}
