package audit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/audit"
	"cedarheights/internal/testapp"
)

// httptest requests come from this address.
const auditTestIP = "192.0.2.1"

type auditWant struct {
	collection, action, actor, requestID string
	// changed fields and their after (create/update) or before (delete)
	// values as JSON; absent lists fields that must not appear.
	changed map[string]string
	absent  []string
}

func TestAuditRESTWrites(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	su := "_superusers:" + f.Superuser.ID

	scenarios := []struct {
		tests.ApiScenario
		id   func(res map[string]any) string
		want auditWant
	}{
		{
			ApiScenario: tests.ApiScenario{
				Name:   "parent creates a student",
				Method: http.MethodPost, URL: "/api/collections/students/records",
				Headers:        map[string]string{"Authorization": f.ParentA.Token, "X-Request-Id": "req-create-1"},
				Body:           strings.NewReader(`{"parent":"` + f.ParentA.ID + `","first_name":"Zoe","last_name":"Anders","status":"prospect"}`),
				ExpectedStatus: 200, ExpectedContent: []string{`"first_name":"Zoe"`},
			},
			id: func(res map[string]any) string { return res["id"].(string) },
			want: auditWant{
				collection: "students", action: "create", actor: "users:" + f.ParentA.ID, requestID: "req-create-1",
				changed: map[string]string{"first_name": `"Zoe"`, "status": `"prospect"`, "parent": `"` + f.ParentA.ID + `"`},
				absent:  []string{"id", "created", "updated", "deleted", "notes"},
			},
		},
		{
			ApiScenario: tests.ApiScenario{
				Name:   "admin updates an instrument: only the changed field",
				Method: http.MethodPatch, URL: "/api/collections/instruments/records/" + f.Piano,
				Headers:        map[string]string{"Authorization": f.Admin.Token, "X-Request-Id": "req-update-1"},
				Body:           strings.NewReader(`{"min_age":6,"name":"Piano"}`),
				ExpectedStatus: 200, ExpectedContent: []string{`"min_age":6`},
			},
			id: func(map[string]any) string { return f.Piano },
			want: auditWant{
				collection: "instruments", action: "update", actor: "users:" + f.Admin.ID, requestID: "req-update-1",
				changed: map[string]string{"min_age": `6`},
				absent:  []string{"name", "active", "updated"},
			},
		},
		{
			ApiScenario: tests.ApiScenario{
				Name:   "a forged stamp in the body is ignored",
				Method: http.MethodPatch, URL: "/api/collections/students/records/" + f.StudentA1,
				Headers:        map[string]string{"Authorization": f.ParentA.Token},
				Body:           strings.NewReader(`{"first_name":"Amelia","@audit":{"actor":"system"}}`),
				ExpectedStatus: 200, ExpectedContent: []string{`"first_name":"Amelia"`},
				NotExpectedContent: []string{"@audit"},
			},
			id: func(map[string]any) string { return f.StudentA1 },
			want: auditWant{
				collection: "students", action: "update", actor: "users:" + f.ParentA.ID,
				changed: map[string]string{"first_name": `"Amelia"`},
			},
		},
		{
			ApiScenario: tests.ApiScenario{
				Name:   "superuser deletes a plan",
				Method: http.MethodDelete, URL: "/api/collections/pricing_plans/records/" + f.PlanHidden,
				Headers:        map[string]string{"Authorization": f.Superuser.Token, "X-Request-Id": "req-delete-1"},
				ExpectedStatus: 204,
			},
			id: func(map[string]any) string { return f.PlanHidden },
			want: auditWant{
				collection: "pricing_plans", action: "delete", actor: su, requestID: "req-delete-1",
				changed: map[string]string{"name": `"Staff rate"`, "amount": `9000`},
			},
		},
		{
			ApiScenario: tests.ApiScenario{
				Name:   "anonymous sign-up is a guest",
				Method: http.MethodPost, URL: "/api/collections/users/records",
				Body:           strings.NewReader(`{"email":"new.parent@cedarheights.test","password":"password123","passwordConfirm":"password123","name":"Nina New"}`),
				ExpectedStatus: 200, ExpectedContent: []string{`"role":"parent"`},
			},
			id: func(res map[string]any) string { return res["id"].(string) },
			want: auditWant{
				collection: "users", action: "create", actor: "guest",
				changed: map[string]string{"name": `"Nina New"`, "role": `"parent"`, "password": "redacted", "email": `"new.parent@cedarheights.test"`},
				absent:  []string{"passwordConfirm"},
			},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = testapp.Factory
		want := s.want
		id := s.id
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			var body map[string]any
			if res.StatusCode == 200 {
				raw, _ := io.ReadAll(res.Body)
				if err := json.Unmarshal(raw, &body); err != nil {
					t.Fatal(err)
				}
			}
			entry := auditEntry(t, app, want.collection, id(body), want.action)
			checkAuditEntry(t, entry, want, res.Header.Get("X-Request-Id"))
		}
		s.Test(t)
	}
}

// TestAuditCascadeInheritsActor: the lesson's private note goes with it,
// attributed to whoever deleted the lesson.
func TestAuditCascadeInheritsActor(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	(&tests.ApiScenario{
		Method: http.MethodDelete, URL: "/api/collections/lessons/records/" + f.LessonA1,
		Headers:        map[string]string{"Authorization": f.Admin.Token},
		ExpectedStatus: 204,
		TestAppFactory: testapp.Factory,
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			actor := "users:" + f.Admin.ID
			lesson := auditEntry(t, app, "lessons", f.LessonA1, "delete")
			note := auditEntry(t, app, "lesson_private_notes", f.PrivateNoteA1, "delete")
			if lesson.GetString("actor") != actor || note.GetString("actor") != actor {
				t.Fatalf("actors: lesson %q, note %q, want %q", lesson.GetString("actor"), note.GetString("actor"), actor)
			}
			if lesson.GetString("request_id") == "" || note.GetString("request_id") != lesson.GetString("request_id") {
				t.Fatalf("request ids: %q, %q", lesson.GetString("request_id"), note.GetString("request_id"))
			}
		},
	}).Test(t)
}

func TestAuditFailedWriteLeavesNoEntry(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	scenarios := []tests.ApiScenario{
		{
			Name:   "duplicate instrument name",
			Method: http.MethodPost, URL: "/api/collections/instruments/records",
			Headers:        map[string]string{"Authorization": f.Admin.Token},
			Body:           strings.NewReader(`{"name":"Piano"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name"`},
		},
		{
			Name:   "refused by the rule",
			Method: http.MethodPatch, URL: "/api/collections/students/records/" + f.StudentB1,
			Headers:        map[string]string{"Authorization": f.ParentA.Token},
			Body:           strings.NewReader(`{"first_name":"Hacked"}`),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name:   "invalid field",
			Method: http.MethodPatch, URL: "/api/collections/lessons/records/" + f.LessonA1,
			Headers:        map[string]string{"Authorization": f.Admin.Token},
			Body:           strings.NewReader(`{"kind":"concert"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"kind"`},
		},
	}
	for _, s := range scenarios {
		var before int64
		s.TestAppFactory = testapp.Factory
		s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			before = auditCount(t, app)
		}
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			if got := auditCount(t, app); got != before {
				t.Fatalf("audit entries %d → %d after a failed write", before, got)
			}
		}
		s.Test(t)
	}
}

func TestAuditGoCodeIsSystem(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	c, err := app.FindCollectionByNameOrId("rooms")
	if err != nil {
		t.Fatal(err)
	}
	room := core.NewRecord(c)
	room.Load(map[string]any{"name": "Studio 9", "capacity": 3, "active": true})
	if err := app.Save(room); err != nil {
		t.Fatal(err)
	}
	checkAuditEntry(t, auditEntry(t, app, "rooms", room.Id, "create"), auditWant{
		actor: "system", changed: map[string]string{"name": `"Studio 9"`, "capacity": "3", "active": "true"},
	}, "")

	room.Set("capacity", 4)
	if err := app.Save(room); err != nil {
		t.Fatal(err)
	}
	update := auditEntry(t, app, "rooms", room.Id, "update")
	checkAuditEntry(t, update, auditWant{actor: "system", changed: map[string]string{"capacity": "4"}, absent: []string{"name", "active"}}, "")
	if got := auditChanges(t, update)["capacity"]["before"]; string(got) != "3" {
		t.Fatalf("capacity before = %s", got)
	}

	if err := app.Delete(room); err != nil {
		t.Fatal(err)
	}
	checkAuditEntry(t, auditEntry(t, app, "rooms", room.Id, "delete"), auditWant{
		actor: "system", changed: map[string]string{"name": `"Studio 9"`, "capacity": "4"},
	}, "")
}

func TestAuditRollsBackWithTheWrite(t *testing.T) {
	t.Parallel()
	t.Run("the write's transaction fails after it", func(t *testing.T) {
		app, _ := testapp.New(t)
		before := auditCount(t, app)
		var id string
		err := app.RunInTransaction(func(tx core.App) error {
			c, _ := tx.FindCollectionByNameOrId("instruments")
			r := core.NewRecord(c)
			r.Set("name", "Harp")
			if err := tx.Save(r); err != nil {
				return err
			}
			id = r.Id
			return errors.New("later step fails")
		})
		if err == nil || id == "" {
			t.Fatalf("err = %v, id = %q", err, id)
		}
		if got := auditCount(t, app); got != before {
			t.Fatalf("audit entries %d → %d", before, got)
		}
		if _, err := app.FindRecordById("instruments", id); err == nil {
			t.Fatal("instrument kept")
		}
	})

	t.Run("the audit entry fails", func(t *testing.T) {
		app, f := testapp.New(t)
		app.OnRecordCreateExecute("audit_logs").BindFunc(func(e *core.RecordEvent) error {
			return errors.New("audit storage broken")
		})
		r := testapp.Record(t, app, "instruments", f.Violin)
		r.Set("min_age", 9)
		if err := app.Save(r); err == nil {
			t.Fatal("write succeeded without its audit entry")
		}
		if got := testapp.Record(t, app, "instruments", f.Violin).GetInt("min_age"); got != 4 {
			t.Fatalf("min_age = %d, want the old 4", got)
		}
	})
}

func TestRunInTransactionAttributesRouteWrites(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	var id string
	(&tests.ApiScenario{
		Method: http.MethodPost, URL: "/test/audited-room",
		Headers:        map[string]string{"Authorization": f.Admin.Token, "X-Request-Id": "req-route-1"},
		ExpectedStatus: 204,
		TestAppFactory: testapp.Factory,
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			e.Router.POST("/test/audited-room", func(e *core.RequestEvent) error {
				err := audit.RunInTransaction(e.App, audit.RequestActor(e), func(tx core.App) error {
					c, _ := tx.FindCollectionByNameOrId("rooms")
					r := core.NewRecord(c)
					r.Set("name", "Route room")
					if err := tx.Save(r); err != nil {
						return err
					}
					id = r.Id
					return nil
				})
				if err != nil {
					return err
				}
				return e.NoContent(http.StatusNoContent)
			})
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			checkAuditEntry(t, auditEntry(t, app, "rooms", id, "create"), auditWant{
				actor: "users:" + f.Admin.ID, requestID: "req-route-1", changed: map[string]string{"name": `"Route room"`},
			}, "req-route-1")
		},
	}).Test(t)
}

func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	var entryID, entryJSON string
	var entries int64
	pick := func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		entries = auditCount(t, app)
		entry := auditEntry(t, app, "instruments", f.Piano, "create")
		entryID = entry.Id
		raw, _ := json.Marshal(entry)
		entryJSON = string(raw)
	}
	unchanged := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		entry, err := app.FindRecordById("audit_logs", entryID)
		if err != nil {
			t.Fatalf("entry gone: %v", err)
		}
		if raw, _ := json.Marshal(entry); string(raw) != entryJSON {
			t.Fatalf("entry changed:\n%s\n%s", entryJSON, raw)
		}
		if n := auditCount(t, app); n != entries {
			t.Fatalf("audit entries %d → %d", entries, n)
		}
	}
	su := map[string]string{"Authorization": f.Superuser.Token}
	// "{entry}" in a URL stands for the audited entry's id.
	scenarios := []tests.ApiScenario{
		{Name: "superuser PATCH", Method: http.MethodPatch, URL: "/api/collections/audit_logs/records/{entry}", Headers: su,
			Body: strings.NewReader(`{"actor":"nobody"}`), ExpectedStatus: 403, ExpectedContent: []string{"append-only"}},
		{Name: "superuser DELETE", Method: http.MethodDelete, URL: "/api/collections/audit_logs/records/{entry}", Headers: su,
			ExpectedStatus: 403, ExpectedContent: []string{"append-only"}},
		{Name: "superuser forges an entry", Method: http.MethodPost, URL: "/api/collections/audit_logs/records", Headers: su,
			Body:           strings.NewReader(`{"action":"create","collection":"students","record":"forged","actor":"system"}`),
			ExpectedStatus: 403, ExpectedContent: []string{"append-only"}},
		{Name: "admin PATCH", Method: http.MethodPatch, URL: "/api/collections/audit_logs/records/{entry}",
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(`{"actor":"nobody"}`),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "admin cannot even list", Method: http.MethodGet, URL: "/api/collections/audit_logs/records",
			Headers: map[string]string{"Authorization": f.Admin.Token}, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "superuser truncate", Method: http.MethodDelete, URL: "/api/collections/audit_logs/truncate", Headers: su,
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "superuser drops the collection", Method: http.MethodDelete, URL: "/api/collections/audit_logs", Headers: su,
			ExpectedStatus: 403, ExpectedContent: []string{"migrations"}},
		{Name: "superuser alters the collection", Method: http.MethodPatch, URL: "/api/collections/audit_logs", Headers: su,
			Body: strings.NewReader(`{"deleteRule":""}`), ExpectedStatus: 403, ExpectedContent: []string{"migrations"}},
		{Name: "superuser SQL delete", Method: http.MethodPost, URL: "/api/sql", Headers: su,
			Body: strings.NewReader(`{"query":"DELETE FROM Audit_Logs"}`), ExpectedStatus: 403, ExpectedContent: []string{"append-only"}},
		{Name: "superuser SQL update hidden behind a select", Method: http.MethodPost, URL: "/api/sql", Headers: su,
			Body: strings.NewReader(`{"query":"SELECT 1; UPDATE audit_logs SET actor = 'x'"}`), ExpectedStatus: 403, ExpectedContent: []string{"append-only"}},
		{Name: "superuser SQL read", Method: http.MethodPost, URL: "/api/sql", Headers: su,
			Body: strings.NewReader(`{"query":"SELECT count(*) AS n FROM audit_logs"}`), ExpectedStatus: 200, ExpectedContent: []string{`"rows"`}},
	}
	// Every attempt is refused and changes nothing (each checks the entry
	// and the count after, and the shared app fails a committed write), so
	// they take turns on one app; an attempt that got through fails itself.
	app, _ := testapp.New(t)
	pick(t, app, nil)
	shared := testapp.NewShared(t, app)
	for _, s := range scenarios {
		s.URL = strings.ReplaceAll(s.URL, "{entry}", entryID)
		s.AfterTestFunc = unchanged
		shared.Run(t, s)
	}

	t.Run("Go code", func(t *testing.T) {
		entry := testapp.Record(t, app, "audit_logs", entryID)
		entry.Set("actor", "nobody")
		if err := app.Save(entry); err == nil {
			t.Fatal("update allowed")
		}
		if err := app.Delete(entry); err == nil {
			t.Fatal("delete allowed")
		}
		if got := testapp.Record(t, app, "audit_logs", entryID).GetString("actor"); got != "system" {
			t.Fatalf("actor = %q", got)
		}
	})
}

// auditEntry returns the one entry for the record and action.
func auditEntry(t testing.TB, app core.App, collection, id, action string) *core.Record {
	t.Helper()
	entries, err := app.FindAllRecords("audit_logs", dbx.HashExp{"collection": collection, "record": id, "action": action})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d %s entries for %s/%s, want 1", len(entries), action, collection, id)
	}
	return entries[0]
}

func auditCount(t testing.TB, app core.App) int64 {
	t.Helper()
	n, err := app.CountRecords("audit_logs")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func auditChanges(t testing.TB, entry *core.Record) map[string]map[string]json.RawMessage {
	t.Helper()
	var changes map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(entry.GetString("changes")), &changes); err != nil {
		t.Fatalf("changes %q: %v", entry.GetString("changes"), err)
	}
	return changes
}

func checkAuditEntry(t testing.TB, entry *core.Record, want auditWant, echoedRequestID string) {
	t.Helper()
	if got := entry.GetString("actor"); got != want.actor {
		t.Errorf("actor = %q, want %q", got, want.actor)
	}
	if want.requestID != "" && entry.GetString("request_id") != want.requestID {
		t.Errorf("request_id = %q, want %q", entry.GetString("request_id"), want.requestID)
	}
	if echoedRequestID != "" && entry.GetString("request_id") != echoedRequestID {
		t.Errorf("request_id = %q, response said %q", entry.GetString("request_id"), echoedRequestID)
	}
	if strings.HasPrefix(want.actor, "system") {
		if entry.GetString("request_id") != "" || entry.GetString("ip") != "" {
			t.Errorf("Go code entry has request data: %q %q", entry.GetString("request_id"), entry.GetString("ip"))
		}
	} else if entry.GetString("ip") != auditTestIP {
		t.Errorf("ip = %q, want %q", entry.GetString("ip"), auditTestIP)
	}
	changes := auditChanges(t, entry)
	side := "after"
	if entry.GetString("action") == "delete" {
		side = "before"
	}
	for field, value := range want.changed {
		change, ok := changes[field]
		switch {
		case !ok:
			t.Errorf("%s not in changes %s", field, entry.GetString("changes"))
		case value == "redacted":
			if string(change["redacted"]) != "true" || len(change) != 1 {
				t.Errorf("%s = %v, want only redacted", field, change)
			}
		case string(change[side]) != value:
			t.Errorf("%s.%s = %s, want %s", field, side, change[side], value)
		}
	}
	for _, field := range want.absent {
		if _, ok := changes[field]; ok {
			t.Errorf("%s in changes %s", field, entry.GetString("changes"))
		}
	}
}
