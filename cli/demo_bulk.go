package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/audit"
)

// demo_bulk.go writes the grid's lessons (millions of them) with prepared
// multi-row INSERTs in large transactions instead of one Save each, and
// leaves exactly what the saves would have: each row is a core.Record
// exported the way Save exports it (id from the id field's pattern,
// created and updated now), with the audit entry the audit hook writes for
// a create by the system. The rest of what a save of such a lesson does
// leaves no row: the calendar rules pass by construction (demo_grid.go),
// the student's teacher_users already holds the teacher (its enrollment
// put it there), a quiet lesson starts no mail, and only a cancellation
// grants a make-up credit. So cancelled lessons, which do write more (the
// cancellation's stamp and note, maybe a credit), go through Save after
// the bulk. TestBulkLessonsMatchSaves holds the two paths to one result.

const (
	bulkRowsPerInsert = 100    // rows per INSERT statement
	bulkRowsPerTx     = 50_000 // rows per transaction
)

// bulkLessons writes the plan's lessons that ids does not hold.
func (l *demoLoader) bulkLessons(ids map[string]string) error {
	started := time.Now()
	lessons, err := l.app.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return err
	}
	w, err := newBulkWriter(l.app, lessons)
	if err != nil {
		return err
	}
	var cancelled []demoRow
	existing, written := 0, 0
	lastReport := time.Now()
	now := time.Now()
	var failed error
	l.eachLesson(func(row demoRow) {
		if failed != nil {
			return
		}
		if _, ok := ids[row.key]; ok {
			existing++
			return
		}
		if row.data["status"] == "scheduled" { // the plan's now may have passed, as in insertMissing
			row.data["status"] = pastStatus(row.data["start"].(time.Time), now, row.lessonSeed)
		}
		if row.data["status"] == "cancelled" {
			cancelled = append(cancelled, row)
			return
		}
		if failed = w.add(row.data); failed != nil {
			return
		}
		written++
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(l.out, "  %-13s %7d written in bulk  (%.0f/s, total %s)\n", "lessons", written,
				float64(written)/time.Since(started).Seconds(), l.since())
		}
	})
	if failed == nil {
		failed = w.flush()
	}
	if failed != nil {
		return fmt.Errorf("lessons in bulk: %w", failed)
	}
	elapsed := time.Since(started)
	l.result.Created["lessons"] += written
	l.result.Existing["lessons"] += existing
	fmt.Fprintf(l.out, "  %-13s %7d created in bulk %7d existing  %7s  (%.0f lessons/s, total %s)\n",
		"lessons", written, existing, elapsed.Round(time.Millisecond), float64(written)/elapsed.Seconds(), l.since())
	// Cancelled ones through Save: their stamps and credits are the guard's.
	return l.insertMissing("cancelled", "lessons", ids, cancelled)
}

// bulkWriter buffers records of one collection and their audit entries and
// inserts them in large transactions.
type bulkWriter struct {
	app           core.App
	collection    *core.Collection
	idPattern     string
	lessons, logs bulkTable
	inTx          int // rows of the open batch
}

// bulkTable is one table's pending rows, as Save's column values.
type bulkTable struct {
	name    string
	columns []string
	rows    [][]any
}

func newBulkWriter(app core.App, collection *core.Collection) (*bulkWriter, error) {
	logs, err := app.FindCachedCollectionByNameOrId("audit_logs")
	if err != nil {
		return nil, err
	}
	id, ok := collection.Fields.GetByName(core.FieldNameId).(*core.TextField)
	if !ok || id.AutogeneratePattern == "" {
		return nil, fmt.Errorf("%s: no id pattern", collection.Name)
	}
	return &bulkWriter{
		app: app, collection: collection, idPattern: id.AutogeneratePattern,
		lessons: bulkTable{name: collection.Name, columns: fieldColumns(collection)},
		logs:    bulkTable{name: logs.Name, columns: fieldColumns(logs)},
	}, nil
}

func fieldColumns(c *core.Collection) []string {
	var out []string
	for _, f := range c.Fields {
		out = append(out, f.GetName())
	}
	return out
}

// add buffers one new record with data, and its audit entry.
func (w *bulkWriter) add(data map[string]any) error {
	r := core.NewRecord(w.collection)
	r.Load(data)
	if err := w.stamp(r); err != nil {
		return err
	}
	entry, err := audit.CreateEntry(w.app, r, audit.System)
	if err != nil {
		return err
	}
	if err := w.stamp(entry); err != nil {
		return err
	}
	if err := w.lessons.append(r); err != nil {
		return err
	}
	if err := w.logs.append(entry); err != nil {
		return err
	}
	w.inTx++
	if w.inTx >= bulkRowsPerTx {
		return w.flush()
	}
	return nil
}

// stamp gives a new record what Save gives it: an id from its id field's
// pattern and the current time in its autodate fields.
func (w *bulkWriter) stamp(r *core.Record) error {
	pattern := w.idPattern
	if f, ok := r.Collection().Fields.GetByName(core.FieldNameId).(*core.TextField); ok && f.AutogeneratePattern != "" {
		pattern = f.AutogeneratePattern
	}
	id, err := security.RandomStringByRegex(pattern)
	if err != nil {
		return err
	}
	r.Id = id
	now := types.NowDateTime()
	for _, f := range r.Collection().Fields {
		if a, ok := f.(*core.AutodateField); ok && (a.OnCreate || a.OnUpdate) {
			r.SetRaw(a.Name, now)
		}
	}
	return nil
}

func (t *bulkTable) append(r *core.Record) error {
	values, err := r.DBExport(nil)
	if err != nil {
		return err
	}
	row := make([]any, len(t.columns))
	for i, c := range t.columns {
		v, ok := values[c]
		if !ok {
			return fmt.Errorf("%s: no value for column %s", t.name, c)
		}
		row[i] = v
	}
	t.rows = append(t.rows, row)
	return nil
}

// flush inserts the buffered rows of both tables in one transaction.
func (w *bulkWriter) flush() error {
	if w.inTx == 0 {
		return nil
	}
	err := w.app.RunInTransaction(func(tx core.App) error {
		for _, t := range []*bulkTable{&w.lessons, &w.logs} {
			if err := t.insert(tx.NonconcurrentDB()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.lessons.rows, w.logs.rows, w.inTx = w.lessons.rows[:0], w.logs.rows[:0], 0
	return nil
}

// insert writes the table's rows bulkRowsPerInsert at a time through one
// prepared statement (and one more for the remainder).
func (t *bulkTable) insert(db dbx.Builder) error {
	var full *dbx.Query
	for from := 0; from < len(t.rows); from += bulkRowsPerInsert {
		chunk := t.rows[from:min(from+bulkRowsPerInsert, len(t.rows))]
		q := full
		if len(chunk) < bulkRowsPerInsert || q == nil {
			q = db.NewQuery(t.insertSQL(len(chunk))).Prepare()
			if q.LastError != nil {
				return q.LastError
			}
			if len(chunk) == bulkRowsPerInsert {
				full = q
			}
		}
		params := make(dbx.Params, len(chunk)*len(t.columns))
		for i, row := range chunk {
			for j, v := range row {
				params[bulkParam(i, j)] = v
			}
		}
		if _, err := q.Bind(params).Execute(); err != nil {
			return fmt.Errorf("insert into %s: %w", t.name, err)
		}
		if q != full {
			q.Close()
		}
	}
	if full != nil {
		full.Close()
	}
	return nil
}

func (t *bulkTable) insertSQL(rows int) string {
	quoted := make([]string, len(t.columns))
	for i, c := range t.columns {
		quoted[i] = "`" + c + "`"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO `%s` (%s) VALUES ", t.name, strings.Join(quoted, ", "))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		holders := make([]string, len(t.columns))
		for j := range t.columns {
			holders[j] = "{:" + bulkParam(i, j) + "}"
		}
		b.WriteString("(" + strings.Join(holders, ", ") + ")")
	}
	return b.String()
}

// bulkParams names the placeholders of a multi-row INSERT, made once.
var bulkParams = func() [bulkRowsPerInsert][64]string {
	var names [bulkRowsPerInsert][64]string
	for i := range names {
		for j := range names[i] {
			names[i][j] = fmt.Sprintf("p%d_%d", i, j)
		}
	}
	return names
}()

func bulkParam(row, column int) string { return bulkParams[row][column] }
