package hooks_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
)

// The runs list, written from its rows (hooks/list_rows.go) or from
// records without PocketBase's encoder (hooks/record_json.go), answers the
// very bytes PocketBase's record API answers for the same page, for every
// caller and with expand, fields, filters, sorts and pages; also for
// values that encoding/json escapes, JSON stored with spaces or as a plain
// string, NULL columns and fractional numbers.
func TestListRowsMatchRecords(t *testing.T) {
	f := testapp.Get(t)
	app := workflowApp(t)
	at := func(minutes int) string {
		return time.Now().Add(time.Duration(minutes) * time.Minute).UTC().Format("2006-01-02 15:04:05.000Z")
	}
	awkward := []dbx.Params{
		{"id": "wfrunawkward001", "owner": f.ParentA.ID, "status": "failed", "name": "route_test", "version": 2.5,
			"subject": "é – ünïcode \u2028 <b>&", "error": "<script>\"quoted\"\n\ttab \\ back",
			"result": `{ "a" : [1, 2.5, "x<y"], "b": null }`, "ready": "plain words", "created": at(1), "updated": at(2)},
		{"id": "wfrunawkward002", "owner": f.ParentB.ID, "status": "waiting", "name": "route_test", "version": 1,
			"subject": "", "result": `"\u2028 line"`, "done": "[]", "ready": "null", "wake_at": at(30),
			"idempotency_key": "key&1", "created": at(3)},
		{"id": "wfrunawkward003", "owner": "", "status": "completed", "name": "route_test", "version": 1e22,
			"result": "12.50", "done": `["x<y","&",">"]`, "created": at(1)},
		{"id": "wfrunawkward004", "owner": f.ParentA.ID, "status": "completed", "name": "route_test", "version": 1e20,
			"result": "\"a\u2028b\"", "done": `["a\u0026"]`, "ready": `{"k":"<"}`, "created": at(4)},
	}
	for _, row := range awkward {
		if _, err := app.NonconcurrentDB().Insert("workflow_runs", row).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	handler := testapp.Handler(t, app)
	get := func(path, token string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Content-Type") + "\n" + rec.Body.String()
	}

	for _, caller := range []testapp.Account{f.Admin, f.ParentA, f.Superuser} {
		for _, c := range []struct{ ours, builtin string }{
			{"", "sort=-created,-id"},
			{"skip_total=1&per_page=2&page=2", "skipTotal=1&perPage=2&page=2&sort=-created,-id"},
			{"status=failed", "filter=" + url.QueryEscape("status = 'failed'") + "&sort=-created,-id"},
			{"sort=updated&per_page=3", "sort=updated,id&perPage=3"},
			{"expand=owner", "expand=owner&sort=-created,-id"},
			{"fields=id,subject,result", "fields=id,subject,result&sort=-created,-id"},
		} {
			code, ours := get("/api/v1/workflows/runs?"+c.ours, caller.Token)
			wantCode, want := get("/api/collections/workflow_runs/records?"+c.builtin, caller.Token)
			if code != http.StatusOK || wantCode != http.StatusOK {
				t.Fatalf("%s %s: %d and %d:\n%s\n%s", caller.Email, c.ours, code, wantCode, ours, want)
			}
			if ours != want {
				t.Errorf("%s ?%s differs from the record API:\nours    %s\nbuiltin %s", caller.Email, c.ours, ours, want)
			}
		}
	}
}
