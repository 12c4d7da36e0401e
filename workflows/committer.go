package workflows

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
)

// committer.go: group commit. SQLite has one writer; PocketBase gives it
// one connection, and goroutines that queue for it convoy on two cores
// (the holder is preempted while the others wait). The engine's own writes
// (checkpoints, claims, starts) therefore go to one goroutine that commits
// whatever is waiting in a single transaction, each write inside its own
// SAVEPOINT so one that fails (a lost lease, an event taken meanwhile) is
// rolled back alone. Writes that save records through PocketBase (a node's
// Step.Write) get a transaction of their own: PocketBase runs their
// after-save hooks when the transaction commits, which must not happen for
// a write rolled back to its savepoint.

type commitReq struct {
	fn    func(tx core.App) error
	alone bool
	done  chan error
}

// maxBatch bounds one group commit (keeps each transaction short).
const maxBatch = 64

// write runs fn in a transaction: batched with other engine writes while
// the engine runs, directly otherwise. alone: fn saves records through
// PocketBase.
func (e *Engine) write(alone bool, fn func(tx core.App) error) error {
	e.mu.Lock()
	ch := e.commits
	e.mu.Unlock()
	if ch == nil {
		return e.app.RunInTransaction(fn)
	}
	req := &commitReq{fn: fn, alone: alone, done: make(chan error, 1)}
	select {
	case ch <- req:
		return <-req.done
	case <-e.committerDone:
		return e.app.RunInTransaction(fn)
	}
}

func (e *Engine) commitLoop(ctx context.Context) {
	defer close(e.committerDone)
	var held *commitReq // an alone request met while draining a batch
	for {
		var first *commitReq
		if held != nil {
			first, held = held, nil
		} else {
			select {
			case first = <-e.commits:
			case <-ctx.Done():
				return
			}
		}
		if first.alone {
			first.done <- e.app.RunInTransaction(first.safeFn)
			continue
		}
		batch := []*commitReq{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-e.commits:
				if r.alone {
					held = r
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		e.commitBatch(batch)
	}
}

func (e *Engine) commitBatch(batch []*commitReq) {
	if len(batch) == 1 {
		batch[0].done <- e.app.RunInTransaction(batch[0].safeFn)
		return
	}
	errs := make([]error, len(batch))
	err := e.app.RunInTransaction(func(tx core.App) error {
		for i, r := range batch {
			name := "wf" + strconv.Itoa(i)
			if _, err := tx.DB().NewQuery("SAVEPOINT " + name).Execute(); err != nil {
				return err
			}
			errs[i] = r.safeFn(tx)
			if errs[i] != nil {
				if _, err := tx.DB().NewQuery("ROLLBACK TO " + name).Execute(); err != nil {
					return err
				}
			}
			if _, err := tx.DB().NewQuery("RELEASE " + name).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- errs[i]
		}
	}
}

// safeFn runs the request, turning a panic (in a node's Write, say) into
// its error: the committer serves every run and must not die with one.
func (r *commitReq) safeFn(tx core.App) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a checkpoint write: %v", p)
		}
	}()
	return r.fn(tx)
}
