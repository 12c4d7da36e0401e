package hooks_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
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

// apiRun runs every scenario on a clone of the fixture academy: those that
// change nothing share one, the others get one each (apiParallel).
func apiRun(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	apiParallel(t, scenarios)
}

// apiParallel runs the scenarios, each as a subtest named after it, so that
// no scenario sees another's writes and their order does not matter. A
// scenario that may write (one with setup, or a write the routes accept)
// runs side by side with the others on the app its TestAppFactory makes, a
// fresh clone of the fixture academy unless it says otherwise. The reads
// and the refused writes run one after another on one clone they share:
// building an app is most of what a scenario costs. Each is held to
// changing nothing: a commit to either database while it ran fails it.
func apiParallel(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	apiSplit(t, testapp.Factory, nil, scenarios, apiChangesNothing)
}

// apiParallelOn is apiParallel on the apps factory makes instead of the
// fixture academy's (a scenario that names its own factory keeps it).
func apiParallelOn(t *testing.T, factory func(testing.TB) *tests.TestApp, scenarios []tests.ApiScenario) {
	t.Helper()
	apiSplit(t, factory, nil, scenarios, apiChangesNothing)
}

// apiChecks is apiParallel for a route that writes nothing whatever it
// answers (a check): every scenario on the default app, with no setup,
// shares the one app, held to changing nothing like the reads.
func apiChecks(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	apiSplit(t, testapp.Factory, nil, scenarios, func(s tests.ApiScenario) bool { return s.TestAppFactory == nil && s.BeforeTestFunc == nil })
}

// apiSeeded is apiParallel for scenarios that all start from the fixture
// academy with seed applied. Those that change nothing (reads, refused
// writes) share one clone, seeded once; the others get a clone each,
// seeded before their own BeforeTestFunc. Here a scenario's BeforeTestFunc
// only looks (it takes the snapshot its AfterTestFunc compares with): on
// the shared clone it runs just before the request, and a write from it
// fails the scenario like a write from the request.
func apiSeeded(t *testing.T, seed func(testing.TB, *tests.TestApp, *core.ServeEvent), scenarios []tests.ApiScenario) {
	t.Helper()
	apiSplit(t, testapp.Factory, seed, scenarios, func(s tests.ApiScenario) bool {
		return s.TestAppFactory == nil && (s.Method == http.MethodGet || s.Method == http.MethodHead || s.ExpectedStatus >= 400)
	})
}

// apiSplit runs the scenarios changesNothing picks one after another on one
// shared app and every other one on an app of its own; seed, when set,
// prepares every app (the shared one once) before the scenarios' own
// BeforeTestFunc.
func apiSplit(t *testing.T, factory func(testing.TB) *tests.TestApp, seed func(testing.TB, *tests.TestApp, *core.ServeEvent), scenarios []tests.ApiScenario, changesNothing func(tests.ApiScenario) bool) {
	t.Helper()
	var readers []tests.ApiScenario
	for _, s := range scenarios {
		if changesNothing(s) {
			readers = append(readers, s)
			continue
		}
		if s.TestAppFactory == nil {
			s.TestAppFactory = factory
		}
		if seed != nil {
			before := s.BeforeTestFunc
			s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				seed(t, app, e)
				if before != nil {
					before(t, app, e)
				}
			}
		}
		t.Run(apiName(s), func(t *testing.T) {
			t.Parallel()
			s.Name = "run"
			s.Test(t)
		})
	}
	if len(readers) == 0 {
		return
	}
	shared := factory(t)
	done := sync.OnceFunc(shared.Cleanup)
	t.Cleanup(done)
	mux := testapp.Handler(t, shared)
	if seed != nil {
		seed(t, shared, nil)
	}
	watch := testapp.WatchWrites(shared)
	for _, s := range readers {
		t.Run(apiName(s), func(t *testing.T) {
			t.Run("run", func(t *testing.T) {
				if s.BeforeTestFunc != nil {
					s.BeforeTestFunc(t, shared, nil)
				}
				testapp.Ask(t, shared, mux, s)
			})
			if watch.Changed() {
				t.Errorf("%s %s wrote to the app it shares with the other reads (last write: %s)", s.Method, s.URL, watch.Last())
			}
		})
	}
	// The other scenarios run once this returns, maybe long after, each on
	// its own app: the shared one's engine would poll all that while.
	done()
}

// apiChangesNothing: a scenario on the default app, with no setup, that
// reads or expects its write refused.
func apiChangesNothing(s tests.ApiScenario) bool {
	if s.TestAppFactory != nil || s.BeforeTestFunc != nil {
		return false
	}
	return s.Method == http.MethodGet || s.Method == http.MethodHead || s.ExpectedStatus >= 400
}

func apiName(s tests.ApiScenario) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Method + " " + s.URL
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
