package hooks_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// httptest requests come from this address.
const httptestIP = "192.0.2.1"

// TestHeaderRequestLogLine: one structured line per request, in the app's
// logs, carrying the request id; PocketBase's own request log gets the id
// in its meta.
func TestHeaderRequestLogLine(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	cases := []struct {
		name, url, token, id string
		status               int
		auth                 string
	}{
		{"signed-in list", "/api/collections/students/records", f.ParentA.Token, "log-ok-1", 200, "users:" + f.ParentA.ID},
		{"anonymous miss", "/api/collections/students/records/nope", "", "log-miss-1", 404, ""},
	}
	for _, c := range cases {
		headers := map[string]string{"X-Request-Id": c.id}
		if c.token != "" {
			headers["Authorization"] = c.token
		}
		(&tests.ApiScenario{
			Name: c.name, Method: http.MethodGet, URL: c.url, Headers: headers,
			ExpectedStatus: c.status, ExpectedContent: []string{`"`}, TestAppFactory: testapp.Factory,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				app.Settings().Logs.MaxDays = 14 // as stored; PocketBase's TestApp turns logs off
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ours := waitForLog(t, app, "json_extract(data, '$.request_id') = {:id}", c.id)
				want := map[string]any{
					"request_id": c.id, "method": "GET", "path": c.url, "status": float64(c.status),
					"ip": httptestIP, "auth": c.auth,
				}
				for k, v := range want {
					if ours.Data[k] != v {
						t.Errorf("%s = %#v, want %#v (line %v)", k, ours.Data[k], v, ours.Data)
					}
				}
				if d, ok := ours.Data["duration_ms"].(float64); !ok || d < 0 {
					t.Errorf("duration_ms = %#v", ours.Data["duration_ms"])
				}
				if ours.Message != "request" {
					t.Errorf("message = %q", ours.Message)
				}
				pb := waitForLog(t, app, "json_extract(data, '$.meta.requestId') = {:id}", c.id)
				if pb.Data["type"] != "request" {
					t.Errorf("PocketBase's line: %v", pb.Data)
				}
			},
		}).Test(t)
	}
}

// waitForLog flushes the app's batched logger (it writes on terminate)
// until a line matches.
func waitForLog(t testing.TB, app *tests.TestApp, where, id string) *core.Log {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error { return nil })
		var logs []*core.Log
		if err := app.LogQuery().AndWhere(dbx.NewExp(where, dbx.Params{"id": id})).All(&logs); err != nil {
			t.Fatal(err)
		}
		if len(logs) > 1 {
			t.Fatalf("%d log lines match %s", len(logs), where)
		}
		if len(logs) == 1 {
			return logs[0]
		}
	}
	t.Fatalf("no log line with %s = %s", where, id)
	return nil
}
