package hooks_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// Helpers shared by the api_*_test.go scenario tables of the /api/v1 and
// /auth routes.

// apiAs is the Authorization header of a fixture account.
func apiAs(a testapp.Account) map[string]string {
	return map[string]string{"Authorization": a.Token}
}

// apiRun runs every scenario on a fresh clone of the fixture academy.
func apiRun(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	for i := range scenarios {
		scenarios[i].TestAppFactory = testapp.Factory
	}
	apiParallel(t, scenarios)
}

// apiParallel runs the scenarios side by side, each as a subtest named
// after it, on the app its TestAppFactory makes (a fresh clone of the
// fixture academy unless it says otherwise): no scenario sees another's
// writes, so their order does not matter.
func apiParallel(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	for _, s := range scenarios {
		if s.TestAppFactory == nil {
			s.TestAppFactory = testapp.Factory
		}
		name := s.Name
		if name == "" {
			name = s.Method + " " + s.URL
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s.Name = "run"
			s.Test(t)
		})
	}
}

// apiBody is a JSON request body.
func apiBody(v any) *strings.Reader {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return strings.NewReader(string(raw))
}

// apiDecode reads a JSON response body.
func apiDecode(t testing.TB, res *http.Response) map[string]any {
	t.Helper()
	out := map[string]any{}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return out
}

// apiItemIDs returns the ids of body["items"], sorted.
func apiItemIDs(t testing.TB, body map[string]any) []string {
	t.Helper()
	items, ok := body["items"].([]any)
	if !ok {
		t.Fatalf("no items in %v", body)
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	return ids
}

// apiExpectIDs fails unless the response lists exactly want (any order).
func apiExpectIDs(want ...string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		t.Helper()
		got := apiItemIDs(t, apiDecode(t, res))
		sorted := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, sorted) {
			t.Fatalf("listed %v, want %v", got, sorted)
		}
	}
}

// apiField returns a stored record's field as a string.
func apiField(t testing.TB, app core.App, collection, id, field string) string {
	t.Helper()
	return testapp.Record(t, app, collection, id).GetString(field)
}

// apiCount counts a collection's records.
func apiCount(t testing.TB, app core.App, collection string) int64 {
	t.Helper()
	n, err := app.CountRecords(collection)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// apiOversized is a JSON body over the routes' 64 KiB limit.
func apiOversized(field string) *strings.Reader {
	return apiBody(map[string]any{field: strings.Repeat("x", 70<<10)})
}

// apiAudited fails unless the audit log holds an entry for collection/id
// with action, written by the users account a (routes save through
// audit.RunInTransaction, so the caller, not "system", is the actor).
func apiAudited(t testing.TB, app core.App, a testapp.Account, action, collection, id string) {
	t.Helper()
	entries, err := app.FindAllRecords("audit_logs", dbx.HashExp{"collection": collection, "record": id, "action": action})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.GetString("actor") == "users:"+a.ID {
			return
		}
	}
	t.Fatalf("no %s audit entry by %s for %s/%s among %d", action, a.Email, collection, id, len(entries))
}
