package migrations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Issue 14: PocketBase creates a table's columns in name order, so a
// workflow run's `state` (hourly lesson_reminders runs keep 0.4–1.2 MB of
// it at ten times the seed) sat before `status`, `subject`, `updated`,
// `version` and the wait columns. A row's columns are one payload spilling
// over a chain of overflow pages, and SQLite reaches a column by walking
// the chain up to it: every list of runs walked each big run's whole state
// to read the columns after it (15 % of the office's list at ten times the
// seed), though nobody but a superuser is shown the state.
//
// This migration rebuilds workflow_runs with the shown small columns
// first, then the shown JSON ones, then the hidden ones (input, progress,
// state), so a list stops at the start of a row's chain. Nothing reads the
// table by column position (PocketBase and the engine name every column),
// and PocketBase keeps the order afterwards: its schema sync adds, renames
// and drops columns in place, never rebuilding the table.
const runsTableName = "workflow_runs"

func init() {
	m.Register(func(app core.App) error {
		return orderColumns(app, runsTableName)
	}, func(app core.App) error {
		return nil // the order is physical only: nothing to undo
	})
}

// orderColumns rebuilds table so that its columns come in listOrder; the
// rows, indexes and triggers are kept as they are. It does nothing when
// the order is already that.
func orderColumns(app core.App, table string) error {
	collection, err := app.FindCollectionByNameOrId(table)
	if err != nil {
		return err
	}
	var current []string
	err = app.DB().NewQuery("SELECT name FROM PRAGMA_TABLE_INFO({:table})").Bind(dbx.Params{"table": table}).Column(&current)
	if err != nil {
		return err
	}
	wanted, err := listOrder(collection, current)
	if err != nil {
		return err
	}
	if slices.Equal(current, wanted) {
		return nil
	}
	var kept []string // the table's indexes and triggers, as SQLite stored them
	err = app.DB().NewQuery("SELECT sql FROM sqlite_master WHERE tbl_name = {:table} AND type IN ('index', 'trigger') AND sql IS NOT NULL").
		Bind(dbx.Params{"table": table}).Column(&kept)
	if err != nil {
		return err
	}

	defs := make([]string, len(wanted))
	quoted := make([]string, len(wanted))
	for i, name := range wanted {
		quoted[i] = "`" + name + "`"
		defs[i] = quoted[i] + " " + collection.Fields.GetByName(name).ColumnType(app)
	}
	columns := strings.Join(quoted, ", ")
	temp := "_" + table + "_ordered"
	steps := []string{
		fmt.Sprintf("CREATE TABLE `%s` (%s)", temp, strings.Join(defs, ", ")),
		fmt.Sprintf("INSERT INTO `%s` (%s) SELECT %s FROM `%s`", temp, columns, columns, table),
		fmt.Sprintf("DROP TABLE `%s`", table),
		fmt.Sprintf("ALTER TABLE `%s` RENAME TO `%s`", temp, table),
	}
	return app.RunInTransaction(func(txApp core.App) error {
		for _, q := range append(steps, kept...) {
			if _, err := txApp.DB().NewQuery(q).Execute(); err != nil {
				return fmt.Errorf("reorder %s: %w", table, err)
			}
		}
		return nil
	})
}

// listOrder is the order a list reads best: the columns of shown fields
// other than JSON first, then shown JSON, then hidden fields, each group in
// the table's present order. Every column must be a field of the
// collection (a stray column's definition would be unknown).
func listOrder(collection *core.Collection, columns []string) ([]string, error) {
	group := func(name string) int {
		f := collection.Fields.GetByName(name)
		switch {
		case f.GetHidden():
			return 2
		case f.Type() == core.FieldTypeJSON:
			return 1
		}
		return 0
	}
	for _, name := range columns {
		if collection.Fields.GetByName(name) == nil {
			return nil, fmt.Errorf("%s.%s is no field of the collection", collection.Name, name)
		}
	}
	ordered := slices.Clone(columns)
	slices.SortStableFunc(ordered, func(a, b string) int { return group(a) - group(b) })
	return ordered, nil
}
