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

// The office's lists walk an index in the list's own order, id included, so
// a page reads its rows and stops (pb_migrations
// 1765100000_list_order_indexes.go): without id in the index SQLite reads
// every row sharing the last start (or name) of the page to sort them by id.
func TestOfficeListsWalkTheirOrderIndex(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	for _, c := range []struct{ url, table, index string }{
		{"/api/v1/lessons?per_page=20&skip_total=1", "lessons", "idx_lessons_start"},
		{"/api/v1/lessons?per_page=20&skip_total=1&sort=-start", "lessons", "idx_lessons_start"},
		{"/api/v1/teachers?per_page=20&skip_total=1", "teachers", "idx_teachers_display_name"},
	} {
		from := "FROM `" + c.table + "`"
		pagePlan(t, f.Admin, c.url, func(q string) bool { return strings.Contains(q, from) }, func(t testing.TB, plan string) {
			if !strings.Contains(plan, "INDEX "+c.index) || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s does not walk %s in order: %s", c.url, c.index, plan)
			}
		})
	}
}

// A teacher's lessons come through the ListRule's join to teachers, read
// from idx_lessons_teacher_start in the list's order, id included
// (pb_migrations 1765100530_lessons_teacher_order_index.go): with (teacher,
// start) alone SQLite copied the rows into a sorter to order equal starts by
// id. The rule's join keeps its DISTINCT; only the ORDER BY is checked.
func TestTeacherLessonsWalkTheirOrderIndex(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	for _, url := range []string{
		"/api/v1/lessons?per_page=20&skip_total=1",
		"/api/v1/lessons?per_page=20&skip_total=1&sort=-start",
	} {
		pagePlan(t, f.TeacherXUser, url, func(q string) bool { return strings.Contains(q, "FROM `lessons`") }, func(t testing.TB, plan string) {
			if !strings.Contains(plan, "INDEX idx_lessons_teacher_start") || strings.Contains(plan, "ORDER BY") {
				t.Errorf("%s does not walk idx_lessons_teacher_start in order: %s", url, plan)
			}
		})
	}
}

// pagePlan serves url to caller and hands check the query plan of the last
// ORDER BY query that page matches.
func pagePlan(t *testing.T, caller testapp.Account, url string, page func(q string) bool, check func(testing.TB, string)) {
	t.Helper()
	servedQueries(t, caller, url, `"items":`, func(t testing.TB, app *tests.TestApp, queries []string) {
		var last string
		for _, q := range queries {
			if page(q) && strings.Contains(q, "ORDER BY") {
				last = q
			}
		}
		if last == "" {
			t.Fatalf("no page query among %q", queries)
		}
		var plan []struct {
			Detail string `db:"detail"`
		}
		if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + last).All(&plan); err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, p := range plan {
			steps = append(steps, p.Detail)
		}
		check(t, strings.Join(steps, "; "))
	})
}

// servedQueries serves url (a GET) to caller, expecting a 200 that holds
// content, and hands check every SQL query the request ran.
func servedQueries(t *testing.T, caller testapp.Account, url, content string, check func(testing.TB, *tests.TestApp, []string)) {
	t.Helper()
	var (
		mu      sync.Mutex
		queries []string
	)
	apiRun(t, []tests.ApiScenario{{
		Name: url, Method: http.MethodGet, URL: url,
		Headers: apiAs(caller), ExpectedStatus: 200, ExpectedContent: []string{content},
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			app.ConcurrentDB().(*dbx.DB).QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
				mu.Lock()
				defer mu.Unlock()
				queries = append(queries, q)
			}
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			app.ConcurrentDB().(*dbx.DB).QueryLogFunc = nil
			mu.Lock()
			defer mu.Unlock()
			check(t, app, queries)
		},
	}})
}
