package workflows

import (
	"context"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// publish.go: after a checkpoint commits, fire the hooks a record save
// would have fired (OnModelAfterCreateSuccess / OnModelAfterUpdateSuccess,
// hence OnRecordAfter…Success too). PocketBase's realtime broadcast hangs on
// them, so a frontend subscribed to workflow_runs/<id> follows the run.

func (e *Engine) publishRun(r *Run, created bool) {
	w := r.row(r.Updated)
	e.publishRow(r, &w, created)
}

// publishRow is publishRun with the run's columns already made.
func (e *Engine) publishRow(r *Run, w *runRow, created bool) {
	col, err := e.app.FindCachedCollectionByNameOrId(runsTable)
	if err != nil {
		return
	}
	e.fire(runRecord(col, r, w), created)
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
		setField(rec, "id", s.ID)
		setField(rec, "run", s.Run)
		setField(rec, "node", s.Node)
		setField(rec, "attempt", s.Attempt)
		setField(rec, "status", s.Status)
		setField(rec, "output", rawText(s.Output))
		setField(rec, "error", truncate(s.Error, 5000))
		setField(rec, "started", dateValue(s.Started))
		setField(rec, "finished", dateValue(s.Finished))
		setField(rec, "duration_ms", s.DurationMS)
		rec.Id = s.ID
		rec.MarkAsNotNew()
		e.fire(rec, true)
	}
}

// setField sets a column's value as rec.Load would (the field's setter,
// else its PrepareValue; autodate fields ignore it), without Load's cost:
// Load asks every field for a setter for every key (quadratic in the
// fields, allocating), which cost more than the rest of an announcement.
func setField(rec *core.Record, name string, v any) {
	switch f := rec.Collection().Fields.GetByName(name).(type) {
	case nil:
		rec.SetRaw(name, v)
	case *core.AutodateField:
		// Load leaves it unset: its setter is a no-op.
	case *core.JSONField:
		if s, ok := v.(string); ok && s != "" {
			// The engine writes JSON it encoded itself; PrepareValue would
			// validate it and keep it as it is.
			rec.SetRaw(name, types.JSONRaw(s))
			return
		}
		v, _ = f.PrepareValue(rec, v)
		rec.SetRaw(name, v)
	case *core.TextField, *core.NumberField, *core.SelectField, *core.RelationField, *core.DateField:
		// Their setters for the plain name are PrepareValue.
		v, _ = f.PrepareValue(rec, v)
		if isDefault(rec, name, v) {
			// NewRecord holds the same value as the field's default: a
			// record reads it from there (GetRaw), and one map entry
			// fewer is one allocation fewer per announcement.
			return
		}
		rec.SetRaw(name, v)
	default:
		if sf, ok := f.(core.SetterFinder); ok {
			if set := sf.FindSetter(name); set != nil {
				set(rec, v)
				return
			}
		}
		v, _ = f.PrepareValue(rec, v)
		rec.SetRaw(name, v)
	}
}

// isDefault: v is the value a new record of rec's collection already holds
// for name (an empty text, a zero number or date), of the same type.
func isDefault(rec *core.Record, name string, v any) bool {
	switch v := v.(type) {
	case string:
		d, ok := rec.GetRaw(name).(string)
		return ok && v == "" && d == ""
	case float64:
		d, ok := rec.GetRaw(name).(float64)
		return ok && v == 0 && d == 0
	case types.DateTime:
		d, ok := rec.GetRaw(name).(types.DateTime)
		return ok && v.IsZero() && d.IsZero()
	}
	return false
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
