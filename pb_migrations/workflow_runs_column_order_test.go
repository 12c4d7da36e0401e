package migrations_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// A run's hidden columns (input, progress and the large state) come after
// every column the lists show, so reading a page of runs stops before their
// overflow pages (issue 14). The migration reorders a table whose order
// drifted, keeping its rows, indexes and definitions, and does nothing on
// one already in order.
func TestWorkflowRunsHiddenColumnsLast(t *testing.T) {
	app := testapp.Factory(t)
	collection, err := app.FindCollectionByNameOrId("workflow_runs")
	if err != nil {
		t.Fatal(err)
	}
	columns := func() []string {
		t.Helper()
		var names []string
		if err := app.DB().NewQuery("SELECT name FROM PRAGMA_TABLE_INFO('workflow_runs')").Column(&names); err != nil {
			t.Fatal(err)
		}
		return names
	}
	checkOrder := func(when string) {
		t.Helper()
		names := columns()
		firstHidden := len(names)
		for i, name := range names {
			hidden := collection.Fields.GetByName(name).GetHidden()
			if hidden && i < firstHidden {
				firstHidden = i
			}
			if !hidden && i > firstHidden {
				t.Errorf("%s: shown column %s comes after hidden %s: %v", when, name, names[firstHidden], names)
			}
		}
		if names[len(names)-1] != "state" {
			t.Errorf("%s: the last column is %s, want state: %v", when, names[len(names)-1], names)
		}
	}
	checkOrder("migrated")

	schema := func() []string {
		t.Helper()
		var sqls []string
		if err := app.DB().NewQuery("SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE tbl_name = 'workflow_runs' AND type != 'table' AND sql IS NOT NULL ORDER BY name").Column(&sqls); err != nil {
			t.Fatal(err)
		}
		return sqls
	}
	indexes := schema()
	if len(indexes) < 5 {
		t.Fatalf("want the runs' indexes, got %v", indexes)
	}

	// Drift: `error` moves to the end, after state.
	for _, q := range []string{
		"ALTER TABLE `workflow_runs` DROP COLUMN `error`",
		"ALTER TABLE `workflow_runs` ADD COLUMN `error` " + collection.Fields.GetByName("error").ColumnType(app),
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if names := columns(); names[len(names)-1] != "error" {
		t.Fatalf("error did not move last: %v", names)
	}
	run := core.NewRecord(collection)
	run.Load(map[string]any{
		"name": "reorder_check", "version": 1, "status": "waiting", "subject": "lessons:x", "error": "boom",
		"state": map[string]any{"big": strings.Repeat("s", 200_000)}, "input": map[string]any{"a": 1},
		"done": []string{"a"}, "result": map[string]any{"ok": true}, "wait_key": "k:1",
	})
	if err := app.SaveNoValidate(run); err != nil {
		t.Fatal(err)
	}
	before := rowOf(t, app, run.Id)

	up := migrationUp(t, "1765100714_workflow_runs_column_order.go")
	if err := up(app); err != nil {
		t.Fatal(err)
	}
	checkOrder("reordered")
	if after := rowOf(t, app, run.Id); !maps(before, after) {
		t.Errorf("the row changed:\nbefore %v\nafter  %v", before, after)
	}
	if got := schema(); !slices.Equal(got, indexes) {
		t.Errorf("indexes changed:\nbefore %v\nafter  %v", indexes, got)
	}
	if _, err := app.FindFirstRecordByFilter("workflow_runs", "wait_key = 'k:1' && status = 'waiting'"); err != nil {
		t.Errorf("the run is not found through its indexes: %v", err)
	}

	ordered := columns()
	if err := up(app); err != nil {
		t.Fatal(err)
	}
	if got := columns(); !slices.Equal(got, ordered) {
		t.Errorf("a second run changed the order: %v, was %v", got, ordered)
	}

	// The order lasts only while PocketBase changes a collection's table
	// in place: a later save of the collection (a rule and an index, as
	// the admin UI or a migration would) must not rebuild it in name order.
	collection, err = app.FindCollectionByNameOrId("workflow_runs")
	if err != nil {
		t.Fatal(err)
	}
	collection.ListRule = collection.ViewRule
	collection.AddIndex("idx_workflow_runs_order_check", false, "`subject`, `created`", "")
	if err := app.Save(collection); err != nil {
		t.Fatal(err)
	}
	if got := columns(); !slices.Equal(got, ordered) {
		t.Errorf("saving the collection changed the order: %v, was %v", got, ordered)
	}
}

func rowOf(t *testing.T, app core.App, id string) dbx.NullStringMap {
	t.Helper()
	row := dbx.NullStringMap{}
	if err := app.DB().NewQuery("SELECT * FROM workflow_runs WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(row); err != nil {
		t.Fatal(err)
	}
	return row
}

func maps(a, b dbx.NullStringMap) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func migrationUp(t *testing.T, file string) func(core.App) error {
	t.Helper()
	for _, m := range core.AppMigrations.Items() {
		if m.File == file {
			return m.Up
		}
	}
	t.Fatalf("no migration %s", file)
	return nil
}
