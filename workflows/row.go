package workflows

import (
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// row.go: a run's mutable columns as written, in a fixed order, so a
// checkpoint finds what changed by comparing two arrays and writes it with
// one of a few UPDATE texts (cached by the set of columns, each a prepared
// statement: stmts.go).

// The mutable columns of workflow_runs, in runRow's order.
const (
	colStatus = iota
	colState
	colResult
	colError
	colReady
	colDone
	colProgress
	colLeaseOwner
	colLeaseUntil
	colWakeAt
	colWaitKey
	colWaitDeadline
	colStarted
	colFinished
	colUpdated
	numCols
)

var colNames = [numCols]string{
	"status", "state", "result", "error", "ready", "done", "progress", "lease_owner", "lease_until",
	"wake_at", "wait_key", "wait_deadline", "started", "finished", "updated",
}

// runRow holds the mutable columns' values as stored (text).
type runRow [numCols]string

// colSet is a set of columns (bit i: column i).
type colSet uint16

const allCols colSet = 1<<numCols - 1

// row is the run's mutable columns with updated = now.
func (r *Run) row(now time.Time) runRow {
	var w runRow
	w[colStatus] = string(r.Status)
	w[colState] = rawText(r.State)
	w[colResult] = rawText(r.Result)
	w[colError] = truncate(r.Error, 5000)
	w[colReady] = listText(r.Ready)
	w[colDone] = listText(r.Done)
	w[colProgress] = jsonText(r.prog)
	w[colLeaseOwner] = r.LeaseOwner
	w[colLeaseUntil] = fmtTime(r.LeaseUntil)
	w[colWakeAt] = fmtTime(r.WakeAt)
	w[colWaitKey] = r.WaitKey
	w[colWaitDeadline] = fmtTime(r.WaitDeadline)
	w[colStarted] = fmtTime(r.Started)
	w[colFinished] = fmtTime(r.Finished)
	w[colUpdated] = fmtTime(now)
	return w
}

// changed is the set of columns whose values differ from before, with
// updated always (a checkpoint writes only those: the heartbeat renews
// lease_until meanwhile, and must not be overwritten with an older value).
func (w *runRow) changed(before *runRow) colSet {
	set := colSet(1 << colUpdated)
	for i := range w {
		if w[i] != before[i] {
			set |= 1 << i
		}
	}
	return set
}

// listText is jsonText for a list of node ids ([] for none).
func listText(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	return jsonText(ids)
}

var updateTexts sync.Map // colSet<<1 | fenced → the UPDATE's text

// updateRunSQL is the UPDATE of the run's columns in set, fenced on its
// lease token when fence is set, and its arguments.
func updateRunSQL(id string, w *runRow, set colSet, fence string) (string, []any) {
	key := uint32(set) << 1
	if fence != "" {
		key |= 1
	}
	args := make([]any, 0, numCols+2)
	for i := range numCols {
		if set&(1<<i) != 0 {
			args = append(args, w[i])
		}
	}
	args = append(args, id)
	if fence != "" {
		args = append(args, fence)
	}
	if q, ok := updateTexts.Load(key); ok {
		return q.(string), args
	}
	var b strings.Builder
	b.WriteString("UPDATE `" + runsTable + "` SET ")
	first := true
	for i := range numCols {
		if set&(1<<i) == 0 {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString("`" + colNames[i] + "` = ?")
	}
	b.WriteString(" WHERE `id` = ?")
	if fence != "" {
		b.WriteString(" AND `lease_owner` = ?")
	}
	q := b.String()
	updateTexts.Store(key, q)
	return q, args
}

// insertRunSQL inserts every column of a run.
var insertRunSQL = func() string {
	cols := append([]string{"id", "name", "version", "subject", "owner", "idempotency_key", "input", "created"}, colNames[:]...)
	return "INSERT INTO `" + runsTable + "` (`" + strings.Join(cols, "`, `") + "`) VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")"
}()

func insertRunArgs(r *Run, w *runRow) []any {
	args := make([]any, 0, 8+numCols)
	args = append(args, r.ID, r.Name, r.Version, r.Subject, r.Owner, r.IdempotencyKey, rawText(r.Input), fmtTime(r.Created))
	for _, v := range w {
		args = append(args, v)
	}
	return args
}

// dateValue is what a date column written by fmtTime reads back as: UTC,
// to the millisecond.
func dateValue(t time.Time) types.DateTime {
	if t.IsZero() {
		return types.DateTime{}
	}
	d, _ := types.ParseDateTime(t.UTC().Truncate(time.Millisecond))
	return d
}

// runRecord is the run as the record PocketBase would load from its row
// (for the after-save hooks: publish.go).
func runRecord(col *core.Collection, r *Run, w *runRow) *core.Record {
	rec := core.NewRecord(col)
	set := func(name string, v any) { setField(rec, name, v) }
	set("id", r.ID)
	set("name", r.Name)
	set("version", r.Version)
	set("subject", r.Subject)
	set("owner", r.Owner)
	set("idempotency_key", r.IdempotencyKey)
	set("input", rawText(r.Input))
	for i, v := range w {
		var t *time.Time
		switch i {
		case colLeaseUntil:
			t = &r.LeaseUntil
		case colWakeAt:
			t = &r.WakeAt
		case colWaitDeadline:
			t = &r.WaitDeadline
		case colStarted:
			t = &r.Started
		case colFinished:
			t = &r.Finished
		}
		if t != nil {
			set(colNames[i], dateValue(*t)) // what the column's text parses to, without parsing it
			continue
		}
		set(colNames[i], v)
	}
	rec.Id = r.ID
	rec.MarkAsNotNew()
	return rec
}
