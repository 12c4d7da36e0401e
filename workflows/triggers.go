package workflows

import (
	"errors"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// triggers.go: start a workflow when a record is created or updated, in
// the transaction that writes it, so the record and its run commit
// together (or neither does), whatever path the record came through.

type recordTrigger struct {
	collection string
	workflow   string
	update     bool
	// start gets the record as written and, for updates, as it was before.
	start func(tx core.App, r, old *core.Record) error
}

// OnRecordCreate starts a run of wf for every record created in
// collection; input maps the record to the run's input and options (it
// runs in the creating transaction: read through txApp). Return ErrSkip to
// start nothing. An error fails the record's creation.
func OnRecordCreate[In, S any](r *Registry, collection string, wf *Workflow[In, S], input func(txApp core.App, rec *core.Record) (In, StartOptions, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, &recordTrigger{collection: collection, workflow: wf.name, start: func(tx core.App, rec, _ *core.Record) error {
		return startFrom(tx, wf, func() (In, StartOptions, error) { return input(tx, rec) })
	}})
}

// OnRecordUpdate starts a run of wf for records updated in collection
// when input says so: it gets the record as written and as it was before
// the update (to see what changed), runs in the updating transaction, and
// returns ErrSkip to start nothing. An error fails the update.
func OnRecordUpdate[In, S any](r *Registry, collection string, wf *Workflow[In, S], input func(txApp core.App, rec, old *core.Record) (In, StartOptions, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, &recordTrigger{collection: collection, workflow: wf.name, update: true, start: func(tx core.App, rec, old *core.Record) error {
		return startFrom(tx, wf, func() (In, StartOptions, error) { return input(tx, rec, old) })
	}})
}

func startFrom[In, S any](tx core.App, wf *Workflow[In, S], input func() (In, StartOptions, error)) error {
	in, opts, err := input()
	if errors.Is(err, ErrSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = Start(tx, wf, in, opts)
	return err
}

func (e *Engine) bindRecordTriggers() {
	e.reg.mu.RLock()
	triggers := append([]*recordTrigger(nil), e.reg.records...)
	e.reg.mu.RUnlock()
	for i, t := range triggers {
		// A fixed id: a second engine on the same app replaces the hook
		// rather than starting every run twice.
		h := &hook.Handler[*core.RecordEvent]{
			Id: "workflowsTrigger" + strconv.Itoa(i) + ":" + t.collection + ":" + t.workflow,
			Func: func(re *core.RecordEvent) error {
				var old *core.Record
				if t.update {
					old = re.Record.Original()
				}
				return re.App.RunInTransaction(func(tx core.App) error {
					re.App = tx
					if err := re.Next(); err != nil {
						return err
					}
					return t.start(tx, re.Record, old)
				})
			},
		}
		if t.update {
			e.app.OnRecordUpdateExecute(t.collection).Bind(h)
		} else {
			e.app.OnRecordCreateExecute(t.collection).Bind(h)
		}
	}
}
