package testapp

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// Shared is one app that a group of scenarios which must change nothing
// (reads, writes the app refuses) take turns on, where an app each would
// cost a fixture clone per scenario. Its router is built once (see
// Handler), and every write it commits is counted (WatchWrites), so a
// scenario that wrote fails instead of leaking into the next one's answer.
type Shared struct {
	App   *tests.TestApp
	mux   http.Handler
	watch *WriteWatch
}

// NewShared serves app for a group of scenarios. What the group needs in
// the database is written before: writes are counted from here on.
func NewShared(t testing.TB, app *tests.TestApp) *Shared {
	t.Helper()
	mux := Handler(t, app)
	return &Shared{App: app, mux: mux, watch: WatchWrites(app)}
}

// Run asks s as a subtest named after it and checks the answer as Ask
// does. s.BeforeTestFunc, when set, may only look (a snapshot for its
// AfterTestFunc): it runs on the shared app, its ServeEvent nil, and a
// write from it fails s like one from the request.
func (sh *Shared) Run(t *testing.T, s tests.ApiScenario) bool {
	t.Helper()
	sh.watch.Changed() // what came before is not this scenario's
	return t.Run(s.Name, func(t *testing.T) {
		if s.BeforeTestFunc != nil {
			s.BeforeTestFunc(t, sh.App, nil)
		}
		Ask(t, sh.App, sh.mux, s)
		if sh.watch.Changed() {
			t.Errorf("%s %s wrote to the app it shares with the other scenarios (last write: %s)", s.Method, s.URL, sh.watch.Last())
		}
	})
}
