package hooks_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/search"

	"cedarheights/internal/testapp"
)

// Lists whose query joins nothing count with COUNT(*) (access.go); their
// totals must stay what PocketBase's provider answers for the same rule and
// filter (COUNT(DISTINCT id)), for every caller and page size.
func TestListTotalsMatchTheRecordAPI(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	callers := map[string]testapp.Account{"superuser": f.Superuser, "admin": f.Admin, "parent": f.ParentA, "teacher": f.TeacherXUser}
	var scenarios []tests.ApiScenario
	for name, caller := range callers {
		for _, c := range []struct{ collection, url, filter string }{
			{"students", "/api/v1/students?per_page=%d", `deleted = ""`},
			{"students", "/api/v1/students?include_deleted=1&per_page=%d", ""},
			{"lessons", "/api/v1/lessons?per_page=%d", ""},
			{"teachers", "/api/v1/teachers?per_page=%d", ""},
		} {
			for _, perPage := range []int{1, 2, 30} {
				url := fmt.Sprintf(c.url, perPage)
				scenarios = append(scenarios, tests.ApiScenario{
					Name: name + " " + url, Method: http.MethodGet, URL: url, Headers: apiAs(caller),
					ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
					AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
						got := apiDecode(t, res)
						want := providerTotal(t, app, caller, c.collection, c.filter, perPage)
						if int(got["totalItems"].(float64)) != want.TotalItems || int(got["totalPages"].(float64)) != want.TotalPages {
							t.Errorf("total %v in %v pages, the provider's %d in %d", got["totalItems"], got["totalPages"], want.TotalItems, want.TotalPages)
						}
					},
				})
			}
		}
	}
	apiRun(t, scenarios)
}

// providerTotal is what PocketBase's record API answers as the total of
// collection for caller: its ListRule and filter through search.Provider.
func providerTotal(t testing.TB, app core.App, caller testapp.Account, collection, filter string, perPage int) *search.Result {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := app.FindRecordById("users", caller.ID)
	if err != nil {
		if auth, err = app.FindRecordById(core.CollectionNameSuperusers, caller.ID); err != nil {
			t.Fatal(err)
		}
	}
	info := &core.RequestInfo{Auth: auth}
	provider := search.NewProvider(core.NewRecordFieldResolver(app, c, info, true)).
		Query(app.RecordQuery(c)).PerPage(perPage)
	if !auth.IsSuperuser() && *c.ListRule != "" {
		provider.AddFilter(search.FilterData(*c.ListRule))
	}
	if filter != "" {
		provider.AddFilter(search.FilterData(filter))
	}
	var records []*core.Record
	result, err := provider.Exec(&records)
	if err != nil {
		t.Fatal(err)
	}
	return result
}

// The admin's students have no join to deduplicate: their total is a plain
// COUNT(*), not the COUNT(DISTINCT id) that sorts every id first.
func TestUnjoinedListCountsRows(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	servedQueries(t, f.Admin, "/api/v1/students?per_page=1", `"totalItems":`, func(t testing.TB, _ *tests.TestApp, queries []string) {
		found := false
		for _, q := range queries {
			if strings.Contains(q, "COUNT(") && strings.Contains(q, "`students`") {
				found = true
				if strings.Contains(q, "DISTINCT") {
					t.Errorf("the total is counted with DISTINCT: %s", q)
				}
			}
		}
		if !found {
			t.Fatalf("no count among %q", queries)
		}
	})
}
