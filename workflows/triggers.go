package workflows

import (
	"errors"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// triggers.go: start a workflow when a record is created or updated, in
// the transaction that writes it, so the record and its run commit together
// (or neither does), whatever path the record came through.

type recordTrigger struct {
	collection string
	workflow   string
	update     bool // on update rather than on create
	start      func(tx core.App, r *core.Record) error
}

// OnRecordCreate starts a run of wf for every record created in
// collection; input maps the record to the run's input and options (it
// runs in the creating transaction: read through txApp). Return ErrSkip to
// start nothing. An error fails the record's creation.
func OnRecordCreate[In, S any](r *Registry, collection string, wf *Workflow[In, S], input func(txApp core.App, rec *core.Record) (In, StartOptions, error)) {
	addRecordTrigger(r, collection, wf, false, input)
}

// OnRecordUpdate is OnRecordCreate for updates: input sees the record as
// saved and, through rec.Original(), as it was before, so it can start a
// run only for the changes it cares about (ErrSkip for the others).
func OnRecordUpdate[In, S any](r *Registry, collection string, wf *Workflow[In, S], input func(txApp core.App, rec *core.Record) (In, StartOptions, error)) {
	addRecordTrigger(r, collection, wf, true, input)
}

func addRecordTrigger[In, S any](r *Registry, collection string, wf *Workflow[In, S], update bool, input func(txApp core.App, rec *core.Record) (In, StartOptions, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, &recordTrigger{collection: collection, workflow: wf.name, update: update, start: func(tx core.App, rec *core.Record) error {
		in, opts, err := input(tx, rec)
		if errors.Is(err, ErrSkip) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = Start(tx, wf, in, opts)
		return err
	}})
}

func (e *Engine) bindRecordTriggers() {
	e.reg.mu.RLock()
	triggers := append([]*recordTrigger(nil), e.reg.records...)
	e.reg.mu.RUnlock()
	for i, t := range triggers {
		on, kind := e.app.OnRecordCreateExecute(t.collection), "create"
		if t.update {
			on, kind = e.app.OnRecordUpdateExecute(t.collection), "update"
		}
		// A fixed id: a second engine on the same app replaces the hook
		// rather than starting every run twice.
		on.Bind(&hook.Handler[*core.RecordEvent]{
			Id: "workflowsTrigger" + strconv.Itoa(i) + ":" + kind + ":" + t.collection + ":" + t.workflow,
			Func: func(re *core.RecordEvent) error {
				return re.App.RunInTransaction(func(tx core.App) error {
					re.App = tx
					if err := re.Next(); err != nil {
						return err
					}
					return t.start(tx, re.Record)
				})
			},
		})
	}
}
