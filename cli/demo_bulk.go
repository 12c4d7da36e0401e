package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"
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
	bulkRowsPerInsert = 100     // rows per INSERT statement
	bulkRowsPerTx     = 250_000 // rows per transaction: each commit rewrites much of the id indexes
)

// bulkLessons writes the plan's lessons that ids does not hold.
func (l *demoLoader) bulkLessons(ids map[string]string) (err error) {
	started := time.Now()
	lessons, err := l.app.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return err
	}
	w, err := newBulkWriter(l.app, lessons)
	if err != nil {
		return err
	}
	// A run interrupted before its indexes were rebuilt left them out.
	if err := createMissingIndexes(l.app, lessons, w.logsCollection); err != nil {
		return err
	}
	restore := func() error { return nil }
	if len(ids) == 0 {
		// Into an empty table: build the secondary indexes once at the end
		// (a sort) rather than row by row (random B-tree inserts).
		if restore, err = deferIndexes(l.app, lessons, w.logsCollection); err != nil {
			return err
		}
		defer func() { // on failure; after success they are back already
			if rerr := restore(); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // rows are short-lived: collect less often
	w.start()
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
	if ferr := w.finish(); failed == nil {
		failed = ferr
	}
	if failed != nil {
		return fmt.Errorf("lessons in bulk: %w", failed)
	}
	began := time.Now()
	if err := restore(); err != nil {
		return err
	}
	indexed := time.Since(began)
	elapsed := time.Since(started)
	l.result.Created["lessons"] += written
	l.result.Existing["lessons"] += existing
	fmt.Fprintf(l.out, "  %-13s %7d created in bulk %7d existing  %7s  (%.0f lessons/s with their audit entries; indexes rebuilt in %s; total %s)\n",
		"lessons", written, existing, elapsed.Round(time.Millisecond), float64(written)/elapsed.Seconds(), indexed.Round(time.Millisecond), l.since())
	// Cancelled ones through Save: their stamps and credits are the guard's.
	return l.insertMissing("cancelled", "lessons", ids, cancelled)
}

// bulkWriter buffers records of one collection and their audit entries and
// inserts them in large transactions.
type bulkWriter struct {
	app            core.App
	collection     *core.Collection
	idPattern      string
	lessons, logs  bulkTable
	logsCollection *core.Collection
	inTx           int // rows of the open batch

	// One goroutine builds the rows, another inserts them: the two halves
	// cost about the same, and the machine has two cores.
	batches chan [2][][]any // lessons' rows, audit entries' rows
	done    chan error
	failed  atomic.Pointer[error]
}

// start runs the inserting goroutine; finish waits for it.
func (w *bulkWriter) start() {
	w.batches, w.done = make(chan [2][][]any, 1), make(chan error, 1)
	go func() {
		var err error
		for b := range w.batches {
			if err == nil {
				if err = w.write(b); err != nil {
					w.failed.Store(&err)
				}
			}
		}
		w.done <- err
	}()
}

func (w *bulkWriter) finish() error {
	err := w.flush()
	close(w.batches)
	if werr := <-w.done; werr != nil {
		return werr
	}
	return err
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
		logs:    bulkTable{name: logs.Name, columns: fieldColumns(logs)}, logsCollection: logs,
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

// flush hands the buffered rows to the inserting goroutine.
func (w *bulkWriter) flush() error {
	if failed := w.failed.Load(); failed != nil {
		return *failed
	}
	if w.inTx == 0 {
		return nil
	}
	w.batches <- [2][][]any{w.lessons.rows, w.logs.rows}
	w.lessons.rows, w.logs.rows, w.inTx = nil, nil, 0
	return nil
}

// write inserts one batch of both tables in one transaction.
func (w *bulkWriter) write(b [2][][]any) error {
	return w.app.RunInTransaction(func(tx core.App) error {
		for i, t := range []*bulkTable{&w.lessons, &w.logs} {
			if err := t.insert(tx.NonconcurrentDB(), b[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// insert writes the table's rows bulkRowsPerInsert at a time through one
// prepared statement (and one more for the remainder).
func (t *bulkTable) insert(db dbx.Builder, rows [][]any) error {
	var full *dbx.Query
	for from := 0; from < len(rows); from += bulkRowsPerInsert {
		chunk := rows[from:min(from+bulkRowsPerInsert, len(rows))]
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

// bulkCacheKiB is the write connection's page cache during a bulk load: the
// tables' id indexes take random inserts and must stay in memory.
const bulkCacheKiB = 1024 * 1024

// deferIndexes drops the secondary indexes of the collections and enlarges
// the write connection's cache; restore creates the indexes the
// collections declare (what PocketBase created) and puts the cache back.
func deferIndexes(app core.App, collections ...*core.Collection) (restore func() error, err error) {
	db := app.NonconcurrentDB()
	var cache int
	if err := db.NewQuery("PRAGMA cache_size").Row(&cache); err != nil {
		return nil, err
	}
	if _, err := db.NewQuery(fmt.Sprintf("PRAGMA cache_size = -%d", bulkCacheKiB)).Execute(); err != nil {
		return nil, err
	}
	for _, c := range collections {
		for _, sql := range c.Indexes {
			if name := dbutils.ParseIndex(sql).IndexName; name != "" {
				if _, err := db.NewQuery("DROP INDEX IF EXISTS `" + name + "`").Execute(); err != nil {
					return nil, err
				}
			}
		}
	}
	done := false
	return func() error {
		if done {
			return nil
		}
		done = true
		if err := createMissingIndexes(app, collections...); err != nil {
			return err
		}
		_, err := db.NewQuery(fmt.Sprintf("PRAGMA cache_size = %d", cache)).Execute()
		return err
	}, nil
}

// createMissingIndexes creates the declared indexes of the collections
// that the database lacks: a bulk load interrupted between dropping and
// rebuilding them leaves them out, and the next run puts them back.
func createMissingIndexes(app core.App, collections ...*core.Collection) error {
	db := app.NonconcurrentDB()
	for _, c := range collections {
		for _, sql := range c.Indexes {
			name := dbutils.ParseIndex(sql).IndexName
			var n int
			if err := db.Select("COUNT(*)").From("sqlite_master").Where(dbx.HashExp{"type": "index", "name": name}).Row(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if _, err := db.NewQuery(sql).Execute(); err != nil {
				return fmt.Errorf("create index %s: %w", name, err)
			}
		}
	}
	return nil
}
