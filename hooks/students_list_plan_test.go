package hooks_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// A teacher's students list keeps a handful of all students: it must decide
// each one from the name-ordered index alone (pb_migrations
// 1764960100_students_list_index.go), not look every row up in the table
// and sort.
func TestTeacherStudentsListReadsTheNameIndex(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	var (
		mu      sync.Mutex
		queries []string
	)
	apiRun(t, []tests.ApiScenario{{
		Name: "teacher X's students", Method: http.MethodGet, URL: "/api/v1/students?per_page=20",
		Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			db := app.ConcurrentDB().(*dbx.DB)
			db.QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
				mu.Lock()
				defer mu.Unlock()
				queries = append(queries, q)
			}
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			app.ConcurrentDB().(*dbx.DB).QueryLogFunc = nil
			mu.Lock()
			defer mu.Unlock()
			var page string
			for _, q := range queries {
				if strings.Contains(q, "FROM `students`") && strings.Contains(q, "LIKE") && strings.Contains(q, "ORDER BY") {
					page = q
				}
			}
			if page == "" {
				t.Fatalf("no students page query among %q", queries)
			}
			var plan []struct {
				Detail string `db:"detail"`
			}
			if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + page).All(&plan); err != nil {
				t.Fatal(err)
			}
			var steps []string
			for _, p := range plan {
				steps = append(steps, p.Detail)
			}
			got := strings.Join(steps, "; ")
			if !strings.Contains(got, "INDEX idx_students_name_list") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("the page does not walk idx_students_name_list in order:\n%s\nplan: %s", page, got)
			}
		},
	}})
}
