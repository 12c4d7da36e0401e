package workflows

import (
	"context"

	"github.com/pocketbase/pocketbase/core"
)

// publish.go: after a checkpoint commits, fire the hooks a record save
// would have fired (OnModelAfterCreateSuccess / OnModelAfterUpdateSuccess,
// hence OnRecordAfter…Success too). PocketBase's realtime broadcast hangs on
// them, so a frontend subscribed to workflow_runs/<id> follows the run.

func (e *Engine) publishRun(r *Run, created bool) {
	col, err := e.app.FindCachedCollectionByNameOrId(runsTable)
	if err != nil {
		return
	}
	rec := core.NewRecord(col)
	rec.Load(r.allColumns(r.Updated))
	rec.Id = r.ID
	rec.MarkAsNotNew()
	e.fire(rec, created)
}

func (e *Engine) publishSteps(steps []*StepRecord) {
	if len(steps) == 0 {
		return
	}
	col, err := e.app.FindCachedCollectionByNameOrId(stepsTable)
	if err != nil {
		return
	}
	for _, s := range steps {
		rec := core.NewRecord(col)
		rec.Load(s.columns())
		rec.Id = s.ID
		rec.MarkAsNotNew()
		e.fire(rec, true)
	}
}

func (e *Engine) fire(rec *core.Record, created bool) {
	event := &core.ModelEvent{App: e.app, Context: context.Background()}
	event.Model = rec
	var err error
	if created {
		event.Type = core.ModelEventTypeCreate
		err = e.app.OnModelAfterCreateSuccess().Trigger(event)
	} else {
		event.Type = core.ModelEventTypeUpdate
		err = e.app.OnModelAfterUpdateSuccess().Trigger(event)
	}
	if err != nil {
		e.app.Logger().Warn("workflows: an after-save hook failed", "collection", rec.Collection().Name, "id", rec.Id, "error", err)
	}
}
