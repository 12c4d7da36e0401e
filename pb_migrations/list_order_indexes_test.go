package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// The indexes the lists walk or sort from end on id (issue 14), in the
// database itself, and each migration's down step gives back the old ones.
func TestListOrderIndexesEndOnID(t *testing.T) {
	for _, c := range []struct {
		migration string
		migrated  map[string]string
		down      map[string]string
	}{
		{
			"1765100000_list_order_indexes.go",
			map[string]string{
				"idx_lessons_start":         "(`start`, `id`)",
				"idx_lessons_student_start": "(`student`, `start`, `id`)",
				"idx_teachers_display_name": "(`display_name`, `id`)",
			},
			map[string]string{
				"idx_lessons_start":         "(`start`)",
				"idx_lessons_student_start": "(`student`, `start`)",
				"idx_teachers_display_name": "(`display_name`)",
			},
		},
		{
			"1765100530_lessons_teacher_order_index.go",
			map[string]string{"idx_lessons_teacher_start": "(`teacher`, `start`, `id`)"},
			map[string]string{"idx_lessons_teacher_start": "(`teacher`, `start`)"},
		},
	} {
		t.Run(c.migration, func(t *testing.T) {
			app := testapp.Factory(t)
			checkIndexColumns(t, app, "migrated", c.migrated)
			found := false
			for _, m := range core.AppMigrations.Items() {
				if m.File == c.migration {
					found = true
					if err := m.Down(app); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !found {
				t.Fatalf("no migration %s", c.migration)
			}
			checkIndexColumns(t, app, "after down", c.down)
		})
	}
}

// checkIndexColumns fails unless each named index is on the given columns.
func checkIndexColumns(t *testing.T, app core.App, when string, want map[string]string) {
	t.Helper()
	for name, columns := range want {
		var sql string
		if err := app.DB().Select("sql").From("sqlite_master").Where(dbx.HashExp{"type": "index", "name": name}).Row(&sql); err != nil {
			t.Fatalf("%s: %s: %v", when, name, err)
		}
		if !strings.HasSuffix(strings.Join(strings.Fields(sql), ""), strings.ReplaceAll(columns, " ", "")) {
			t.Errorf("%s: %s is %s, want the columns %s", when, name, sql, columns)
		}
	}
}
