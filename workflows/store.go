package workflows

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// store.go: the engine's rows. Checkpoints write workflow_runs and
// workflow_steps with plain SQL (one UPDATE and one INSERT, prepared once:
// stmts.go; several times cheaper than two record saves) and, once committed, fire the
// after-success hooks a save would fire (publish.go), so realtime
// subscribers and record hooks still see every change.

const (
	runsTable      = "workflow_runs"
	stepsTable     = "workflow_steps"
	eventsTable    = "workflow_events"
	schedulesTable = "workflow_schedules"
	outboxTable    = "email_outbox"
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(types.DefaultDateLayout)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(types.DefaultDateLayout, s)
	if err != nil {
		d, err := types.ParseDateTime(s)
		if err != nil {
			return time.Time{}
		}
		return d.Time()
	}
	return t
}

// dbRun is a workflow_runs row as stored.
type dbRun struct {
	ID             string        `db:"id"`
	Name           string        `db:"name"`
	Version        int           `db:"version"`
	Status         string        `db:"status"`
	Subject        string        `db:"subject"`
	Owner          string        `db:"owner"`
	IdempotencyKey string        `db:"idempotency_key"`
	Input          types.JSONRaw `db:"input"`
	State          types.JSONRaw `db:"state"`
	Result         types.JSONRaw `db:"result"`
	Error          string        `db:"error"`
	Ready          types.JSONRaw `db:"ready"`
	Done           types.JSONRaw `db:"done"`
	Progress       types.JSONRaw `db:"progress"`
	LeaseOwner     string        `db:"lease_owner"`
	LeaseUntil     string        `db:"lease_until"`
	WakeAt         string        `db:"wake_at"`
	WaitKey        string        `db:"wait_key"`
	WaitDeadline   string        `db:"wait_deadline"`
	Started        string        `db:"started"`
	Finished       string        `db:"finished"`
	Created        string        `db:"created"`
	Updated        string        `db:"updated"`
}

func (d *dbRun) decode() (*Run, error) {
	r := &Run{
		ID: d.ID, Name: d.Name, Version: d.Version, Status: Status(d.Status), Subject: d.Subject,
		Owner: d.Owner, IdempotencyKey: d.IdempotencyKey, Error: d.Error,
		Input: rawOrNull(d.Input), State: rawOrNull(d.State), Result: rawOrNull(d.Result),
		LeaseOwner: d.LeaseOwner, LeaseUntil: parseTime(d.LeaseUntil), WakeAt: parseTime(d.WakeAt),
		WaitKey: d.WaitKey, WaitDeadline: parseTime(d.WaitDeadline), Started: parseTime(d.Started),
		Finished: parseTime(d.Finished), Created: parseTime(d.Created), Updated: parseTime(d.Updated),
	}
	if err := unmarshalOptional(d.Ready, &r.Ready); err != nil {
		return nil, fmt.Errorf("run %s: ready: %w", d.ID, err)
	}
	if err := unmarshalOptional(d.Done, &r.Done); err != nil {
		return nil, fmt.Errorf("run %s: done: %w", d.ID, err)
	}
	if err := unmarshalOptional(d.Progress, &r.prog); err != nil {
		return nil, fmt.Errorf("run %s: progress: %w", d.ID, err)
	}
	return r, nil
}

func rawOrNull(b types.JSONRaw) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

func unmarshalOptional(b types.JSONRaw, v any) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func rawText(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// loadRun reads a run; ErrNotFound if there is none.
func loadRun(app core.App, id string) (*Run, error) {
	var d dbRun
	err := app.DB().Select("*").From(runsTable).Where(dbx.HashExp{"id": id}).One(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return d.decode()
}

func insertRun(c *stmtCache, txApp core.App, r *Run, now time.Time) error {
	r.Updated = now
	w := r.row(now)
	_, err := execSQL(c, txApp, insertRunSQL, insertRunArgs(r, &w)...)
	return err
}

// saveRun writes r's mutable columns. With fence set, only while the run's
// lease is still fence's: otherwise errFenced, and the caller's transaction
// rolls back with everything the node wrote.
func saveRun(c *stmtCache, txApp core.App, r *Run, fence string, now time.Time) error {
	r.Updated = now
	w := r.row(now)
	return saveRow(c, txApp, r.ID, &w, allCols, fence)
}

// saveRow is saveRun for the columns in set (the ones that changed).
func saveRow(c *stmtCache, txApp core.App, id string, w *runRow, set colSet, fence string) error {
	q, args := updateRunSQL(id, w, set, fence)
	res, err := execSQL(c, txApp, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if fence != "" {
			return errFenced
		}
		return ErrNotFound
	}
	return nil
}

func insertStep(c *stmtCache, txApp core.App, s *StepRecord) error {
	_, err := execSQL(c, txApp, insertStepSQL, s.ID, s.Run, s.Node, s.Attempt, s.Status, rawText(s.Output),
		truncate(s.Error, 5000), fmtTime(s.Started), fmtTime(s.Finished), s.DurationMS, fmtTime(s.Created))
	return err
}

const insertStepSQL = "INSERT INTO `" + stepsTable + "` (`id`, `run`, `node`, `attempt`, `status`, `output`, `error`, " +
	"`started`, `finished`, `duration_ms`, `created`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// Get returns the run with that id (ErrNotFound if none).
func Get(app core.App, id string) (*Run, error) { return loadRun(app, id) }

// Steps returns the run's step records in the order they were written.
func Steps(app core.App, runID string) ([]StepRecord, error) {
	var rows []struct {
		ID         string        `db:"id"`
		Run        string        `db:"run"`
		Node       string        `db:"node"`
		Attempt    int           `db:"attempt"`
		Status     string        `db:"status"`
		Output     types.JSONRaw `db:"output"`
		Error      string        `db:"error"`
		Started    string        `db:"started"`
		Finished   string        `db:"finished"`
		DurationMS float64       `db:"duration_ms"`
		Created    string        `db:"created"`
	}
	err := app.DB().Select("*").From(stepsTable).Where(dbx.HashExp{"run": runID}).
		OrderBy("created ASC", "rowid ASC").All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]StepRecord, len(rows))
	for i, s := range rows {
		out[i] = StepRecord{
			ID: s.ID, Run: s.Run, Node: s.Node, Attempt: s.Attempt, Status: s.Status, Output: rawOrNull(s.Output),
			Error: s.Error, Started: parseTime(s.Started), Finished: parseTime(s.Finished), DurationMS: s.DurationMS,
			Created: parseTime(s.Created),
		}
	}
	return out, nil
}

// ListFilter narrows List.
type ListFilter struct {
	Status  Status
	Name    string
	Subject string
	Owner   string
	Limit   int // default 50
	Offset  int
}

// List returns runs, newest first (for the CLI; routes list through the
// collection's rules).
func List(app core.App, f ListFilter) ([]*Run, error) {
	q := app.DB().Select("*").From(runsTable).OrderBy("created DESC", "id DESC")
	where := dbx.HashExp{}
	if f.Status != "" {
		where["status"] = string(f.Status)
	}
	if f.Name != "" {
		where["name"] = f.Name
	}
	if f.Subject != "" {
		where["subject"] = f.Subject
	}
	if f.Owner != "" {
		where["owner"] = f.Owner
	}
	if len(where) > 0 {
		q.Where(where)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var rows []dbRun
	if err := q.Limit(int64(f.Limit)).Offset(int64(f.Offset)).All(&rows); err != nil {
		return nil, err
	}
	out := make([]*Run, 0, len(rows))
	for i := range rows {
		r, err := rows[i].decode()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// afterCommit runs fn once the transaction txApp belongs to has committed
// (at once when txApp is not transactional).
func afterCommit(txApp core.App, fn func()) {
	info := txApp.TxInfo()
	if info == nil {
		fn()
		return
	}
	info.OnComplete(func(txErr error) error {
		if txErr == nil {
			fn()
		}
		return nil
	})
}

// inTx runs fn in a transaction on app (or in app's own transaction).
func inTx(app core.App, fn func(txApp core.App) error) error {
	return app.RunInTransaction(fn)
}
