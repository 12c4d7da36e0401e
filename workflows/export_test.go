package workflows

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// LeaseWheres are the conditions that free leases: other processes' at
// start (takeOver), this one's at shutdown (Stop).
func LeaseWheres(owner string) map[string]dbx.Expression {
	return map[string]dbx.Expression{"takeOver": foreignLeases(owner), "Stop": ownLeases(owner)}
}

// LockDataDir lets the package's external tests hold a data dir's lock the
// way another live server process would.
var LockDataDir = lockDataDir

// AnnouncedRun builds the record the engine announces for r next to the one
// rec.Load makes of the run's columns as stored (what the engine announced
// before it built them field by field).
func AnnouncedRun(col *core.Collection, r *Run, now time.Time) (got, want *core.Record) {
	w := r.row(now)
	got = runRecord(col, r, &w)
	cols := map[string]any{
		"id": r.ID, "name": r.Name, "version": r.Version, "subject": r.Subject, "owner": r.Owner,
		"idempotency_key": r.IdempotencyKey, "input": rawText(r.Input), "created": fmtTime(r.Created),
	}
	for i, v := range w {
		cols[colNames[i]] = v
	}
	want = core.NewRecord(col)
	want.Load(cols)
	want.Id = r.ID
	want.MarkAsNotNew()
	return got, want
}

// AnnouncedStep is AnnouncedRun for a step record.
func AnnouncedStep(app core.App, s *StepRecord) (got, want *core.Record) {
	col, _ := app.FindCachedCollectionByNameOrId(stepsTable)
	var fired []*core.Record
	e := &Engine{app: app}
	app.OnRecordAfterCreateSuccess(stepsTable).BindFunc(func(ev *core.RecordEvent) error {
		fired = append(fired, ev.Record)
		return ev.Next()
	})
	e.publishSteps([]*StepRecord{s})
	want = core.NewRecord(col)
	want.Load(map[string]any{
		"id": s.ID, "run": s.Run, "node": s.Node, "attempt": s.Attempt, "status": s.Status, "output": rawText(s.Output),
		"error": truncate(s.Error, 5000), "started": fmtTime(s.Started), "finished": fmtTime(s.Finished),
		"duration_ms": s.DurationMS, "created": fmtTime(s.Created),
	})
	want.Id = s.ID
	want.MarkAsNotNew()
	if len(fired) == 1 {
		got = fired[0]
	}
	return got, want
}

// CommitBatch commits fns as one group commit and returns each one's error.
func (e *Engine) CommitBatch(fns ...func(core.App) error) []error {
	batch := make([]*commitReq, len(fns))
	for i, fn := range fns {
		batch[i] = &commitReq{fn: fn}
	}
	return e.commitBatch(batch)
}

// ExecOutsideTx runs query through execSQL's path for an app that is not in
// a transaction.
func ExecOutsideTx(app core.App, query string, args ...any) error {
	_, err := execSQL(nil, app, query, args...)
	return err
}

// SetChainWait sets how long a quick task's checkpoint may be held for the
// next one (0: never held); before Start.
func (e *Engine) SetChainWait(d time.Duration) { e.chainWait = d }
