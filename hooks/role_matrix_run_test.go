package hooks_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// The machinery of the role matrix (role_matrix_test.go holds the table).
//
// The role matrix: who may list, view, create, update and delete what,
// asked of the running router exactly as a client would. The collection
// rules in pb_migrations are the decisions; this table is the issue's
// reading of them, so a rule that drifts from the issue fails a row here.
//
// Every row also checks the database afterwards: a refused write left the
// record (or the record count) untouched, an accepted one changed it, and a
// list returned exactly the fixture ids it names — no more, no fewer.

type matrixRole int

const (
	asAnonymous matrixRole = iota
	asParentA
	asParentB
	asTeacherX
	asTeacherY
	asAdmin
	asSuperuser
)

var matrixRoleNames = [...]string{"anonymous", "parentA", "parentB", "teacherX", "teacherY", "admin", "superuser"}

func (r matrixRole) String() string { return matrixRoleNames[r] }

func (r matrixRole) token(f *testapp.Fixtures) string {
	switch r {
	case asParentA:
		return f.ParentA.Token
	case asParentB:
		return f.ParentB.Token
	case asTeacherX:
		return f.TeacherXUser.Token
	case asTeacherY:
		return f.TeacherYUser.Token
	case asAdmin:
		return f.Admin.Token
	case asSuperuser:
		return f.Superuser.Token
	}
	return ""
}

type matrixOp string

const (
	opList   matrixOp = "list"
	opView   matrixOp = "view"
	opCreate matrixOp = "create"
	opUpdate matrixOp = "update"
	opDelete matrixOp = "delete"
	// /api/v1 only
	opRestore     matrixOp = "restore"      // POST /api/v1/students/{id}/restore
	opReplaceWeek matrixOp = "replace-week" // PUT /api/v1/teachers/{id}/availability
)

// The two APIs a row can ask.
const (
	apiRecords = "records" // PocketBase's /api/collections/{c}/records
	apiV1      = "v1"      // the seed's /api/v1 routes
)

// matrixCell is one row of the matrix.
type matrixCell struct {
	api    string // apiRecords (default) or apiV1
	who    matrixRole
	coll   string
	op     matrixOp
	id     string   // record viewed, updated or deleted
	filter string   // list: a filter (records API) or raw query (v1)
	body   string   // JSON for create and update
	status int      // expected HTTP status
	sees   []string // list: exactly these fixture ids of coll come back
	hides  []string // text that must not appear in the response
	then   func(t testing.TB, app core.App, res map[string]any)
}

func (who matrixRole) list(coll string, sees ...string) matrixCell {
	return matrixCell{who: who, coll: coll, op: opList, status: http.StatusOK, sees: sees}
}

func (who matrixRole) listWhere(coll, filter string, sees ...string) matrixCell {
	return matrixCell{who: who, coll: coll, op: opList, filter: filter, status: http.StatusOK, sees: sees}
}

// listRefused is a list of a collection the role may not list at all.
func (who matrixRole) listRefused(coll string, status int) matrixCell {
	return matrixCell{who: who, coll: coll, op: opList, status: status}
}

func (who matrixRole) view(coll, id string, status int) matrixCell {
	return matrixCell{who: who, coll: coll, op: opView, id: id, status: status}
}

func (who matrixRole) create(coll, body string, status int) matrixCell {
	return matrixCell{who: who, coll: coll, op: opCreate, body: body, status: status}
}

func (who matrixRole) update(coll, id, body string, status int) matrixCell {
	return matrixCell{who: who, coll: coll, op: opUpdate, id: id, body: body, status: status}
}

func (who matrixRole) remove(coll, id string, status int) matrixCell {
	return matrixCell{who: who, coll: coll, op: opDelete, id: id, status: status}
}

// restore is POST /api/v1/students/{id}/restore.
func (who matrixRole) restore(id string, status int) matrixCell {
	return matrixCell{api: apiV1, who: who, coll: "students", op: opRestore, id: id, status: status}
}

// replaceWeek is PUT /api/v1/teachers/{teacher}/availability.
func (who matrixRole) replaceWeek(teacher, body string, status int) matrixCell {
	return matrixCell{api: apiV1, who: who, coll: "availability", op: opReplaceWeek, id: teacher, body: body, status: status}
}

// hiding asserts that text never reaches this role in the response.
func (c matrixCell) hiding(text ...string) matrixCell {
	c.hides = append(c.hides, text...)
	return c
}

// checking adds a check on the response and the database after the request.
func (c matrixCell) checking(fn func(t testing.TB, app core.App, res map[string]any)) matrixCell {
	c.then = fn
	return c
}

func (c matrixCell) name() string {
	n := fmt.Sprintf("%s/%s/%s", c.who, c.coll, c.op)
	if c.api == apiV1 {
		n = "v1/" + n
	}
	if c.id != "" {
		n += "/" + c.id
	}
	if c.filter != "" {
		n += "?" + c.filter
	}
	if body := c.body; body != "" {
		if len(body) > 48 {
			body = body[:45] + "..."
		}
		n += " " + body
	}
	return n
}

// Records that exist only for the rows that need them: an audit entry and a
// user nobody references (deletable without breaking a relation).
const (
	matrixAuditID = "matrixaudit0001"
	spareUserID   = "matrixspare0001"
)

func matrixAcademyID(t *testing.T) string {
	app, _ := testapp.New(t)
	records, err := app.FindAllRecords("academy")
	if err != nil || len(records) != 1 {
		t.Fatalf("academy settings: %d records, %v", len(records), err)
	}
	return records[0].Id
}

// matrixUniverse lists every fixture id of a collection: a list row names the
// ones it expects, every other one must be absent.
func matrixUniverse(f *testapp.Fixtures, academy string) map[string][]string {
	return map[string][]string{
		"users":                {f.Admin.ID, f.ParentA.ID, f.ParentB.ID, f.TeacherXUser.ID, f.TeacherYUser.ID, spareUserID},
		"instruments":          {f.Piano, f.Violin, f.Theremin},
		"rooms":                {f.Room},
		"teachers":             {f.TeacherX, f.TeacherY, f.TeacherHidden},
		"availability":         {f.AvailabilityX, f.AvailabilityY},
		"time_off":             {f.TimeOffX, f.TimeOffY},
		"closures":             {f.Closure},
		"students":             {f.StudentA1, f.StudentA2, f.StudentADeleted, f.StudentB1},
		"lessons":              {f.LessonA1, f.LessonB1},
		"lesson_private_notes": {f.PrivateNoteA1},
		"pricing_plans":        {f.PlanPublic, f.PlanHidden},
		"enrollments":          {f.EnrollmentA1, f.EnrollmentB1},
		"payments":             {f.PaymentA, f.PaymentB},
		"audit_logs":           {matrixAuditID},
		"academy":              {academy},
	}
}

func (c matrixCell) url() string {
	if c.api == apiV1 {
		return c.v1URL()
	}
	base := "/api/collections/" + c.coll + "/records"
	switch c.op {
	case opList:
		q := url.Values{"perPage": {"200"}}
		if c.filter != "" {
			q.Set("filter", c.filter)
		}
		return base + "?" + q.Encode()
	case opCreate:
		return base
	}
	return base + "/" + c.id
}

func (c matrixCell) v1URL() string {
	switch c.op {
	case opReplaceWeek:
		return "/api/v1/teachers/" + c.id + "/availability"
	case opRestore:
		return "/api/v1/" + c.coll + "/" + c.id + "/restore"
	case opList:
		q := "per_page=200"
		if c.filter != "" {
			q += "&" + c.filter
		}
		return "/api/v1/" + c.coll + "?" + q
	case opCreate:
		return "/api/v1/" + c.coll
	}
	return "/api/v1/" + c.coll + "/" + c.id
}

func (c matrixCell) method() string {
	switch c.op {
	case opUpdate:
		if c.api == apiV1 {
			return http.MethodPut // the seed's verb; PATCH answers alike
		}
		return http.MethodPatch
	case opReplaceWeek:
		return http.MethodPut
	case opRestore:
		return http.MethodPost
	}
	switch c.op {
	case opCreate:
		return http.MethodPost
	case opDelete:
		return http.MethodDelete
	}
	return http.MethodGet
}

// runMatrix asks every cell, side by side. Cells that must change nothing
// (reads, and writes the rules refuse) share one served app holding every
// record a row needs: a refused write that wrote anyway fails its own
// check, or a neighbour's. Each accepted write gets a fresh app of its own.
func runMatrix(t *testing.T, f *testapp.Fixtures, all map[string][]string, cells []matrixCell) {
	t.Helper()
	shared, _ := testapp.New(t)
	matrixSetup(t, shared, matrixCell{coll: "audit_logs"})
	matrixSetup(t, shared, matrixCell{id: spareUserID})
	srv := testapp.Serve(t, shared)
	var writes []tests.ApiScenario
	for _, c := range cells {
		if c.status < 300 && c.op != opList && c.op != opView {
			writes = append(writes, c.scenario(f, all))
			continue
		}
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			c.ask(t, srv.URL, shared, f, all)
		})
	}
	apiParallel(t, writes)
}

// ask asks a cell of the shared app over HTTP and checks the answer as
// scenario does.
func (c matrixCell) ask(t *testing.T, base string, app core.App, f *testapp.Fixtures, all map[string][]string) {
	var before string
	var countBefore int64
	switch c.op {
	case opCreate:
		countBefore = matrixCount(t, app, c.coll)
	case opUpdate, opDelete, opRestore:
		before = matrixSnapshot(t, app, c.coll, c.id)
	case opReplaceWeek:
		before = matrixWeek(t, app, c.id)
	}
	req, err := http.NewRequest(c.method(), base+c.url(), strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token := c.who.token(f); token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != c.status {
		t.Errorf("status %d, want %d\n%s", res.StatusCode, c.status, raw)
	}
	want := fmt.Sprintf(`"status":%d`, c.status)
	switch {
	case c.op == opList && c.status < 300:
		want = `"items":`
	case c.status < 300:
		want = `"id":`
	}
	if !strings.Contains(string(raw), want) {
		t.Errorf("no %s in the answer:\n%s", want, raw)
	}
	c.verify(t, app, raw, all, before, countBefore)
}

func (c matrixCell) scenario(f *testapp.Fixtures, all map[string][]string) tests.ApiScenario {
	var (
		before      string // the target record before the request
		countBefore int64
	)
	s := tests.ApiScenario{
		Name:           c.name(),
		Method:         c.method(),
		URL:            c.url(),
		ExpectedStatus: c.status,
		TestAppFactory: testapp.Factory,
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			matrixSetup(t, app, c)
			if c.op == opCreate {
				countBefore = matrixCount(t, app, c.coll)
			}
			switch c.op {
			case opUpdate, opDelete, opRestore:
				before = matrixSnapshot(t, app, c.coll, c.id)
			case opReplaceWeek:
				before = matrixWeek(t, app, c.id)
			}
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			raw, _ := io.ReadAll(res.Body)
			c.verify(t, app, raw, all, before, countBefore)

		},
	}
	if token := c.who.token(f); token != "" {
		s.Headers = map[string]string{"Authorization": token}
	}
	if c.body != "" {
		s.Body = strings.NewReader(c.body)
	}
	if c.status == http.StatusNoContent {
		return s // an empty body is the expectation
	}
	switch {
	case c.op == opList && c.status < 300:
		s.ExpectedContent = []string{`"items":`}
	case c.status < 300:
		s.ExpectedContent = []string{`"id":`}
	default:
		s.ExpectedContent = []string{fmt.Sprintf(`"status":%d`, c.status)}
	}
	return s
}

// matrixSetup adds the records only some rows need; creating the
// spare user costs a password hash, so only its rows pay for it.
func matrixSetup(t testing.TB, app core.App, c matrixCell) {
	t.Helper()
	if c.coll == "audit_logs" {
		col, err := app.FindCollectionByNameOrId("audit_logs")
		if err != nil {
			t.Fatal(err)
		}
		r := core.NewRecord(col)
		r.Id = matrixAuditID
		r.Load(map[string]any{"actor": "system", "action": "create", "collection": "rooms", "record": "matrix"})
		if err := app.Save(r); err != nil {
			t.Fatalf("audit entry: %v", err)
		}
	}
	if c.id == spareUserID || (c.coll == "users" && c.op == opList) {
		col, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		r := core.NewRecord(col)
		r.Id = spareUserID
		r.Load(map[string]any{"name": "Spare Parent", "role": "parent"})
		r.SetEmail("spare@cedarheights.test")
		r.SetPassword(testapp.Password)
		if err := app.Save(r); err != nil {
			t.Fatalf("spare user: %v", err)
		}
	}
}

// matrixWeek is a teacher's availability windows as JSON.
func matrixWeek(t testing.TB, app core.App, teacher string) string {
	t.Helper()
	rows, err := app.FindAllRecords("availability", dbx.HashExp{"teacher": teacher})
	if err != nil {
		t.Fatal(err)
	}
	week := make([]string, 0, len(rows))
	for _, r := range rows {
		week = append(week, fmt.Sprintf("%d %s-%s", r.GetInt("weekday"), r.GetString("start_time"), r.GetString("end_time")))
	}
	slices.Sort(week)
	return strings.Join(week, ", ")
}

func matrixCount(t testing.TB, app core.App, coll string) int64 {
	t.Helper()
	n, err := app.CountRecords(coll)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// matrixSnapshot is the record's stored fields as JSON, or "" when it is gone.
func matrixSnapshot(t testing.TB, app core.App, coll, id string) string {
	t.Helper()
	r, err := app.FindRecordById(coll, id)
	if err != nil {
		return ""
	}
	raw, err := json.Marshal(r.FieldsData())
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// matrixCheckIDs asserts that exactly want, out of the collection's fixture
// ids, came back; rows created outside the fixtures are not judged.
func matrixCheckIDs(t testing.TB, body map[string]any, want, fixtureIDs []string) {
	t.Helper()
	items, ok := body["items"].([]any)
	if !ok {
		t.Fatalf("list without items: %v", body)
	}
	var got []string
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			got = append(got, fmt.Sprint(m["id"]))
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			t.Errorf("list is missing %s (got %v)", id, got)
		}
	}
	for _, id := range fixtureIDs {
		if !slices.Contains(want, id) && slices.Contains(got, id) {
			t.Errorf("list leaks %s (got %v)", id, got)
		}
	}
}

// verify checks a cell's answer and the database after it: the response
// leaks nothing it must hide, a list names exactly its ids, a refused write
// left its record (or count) as it was and an accepted one changed it.
// before and countBefore are the target's snapshot and the collection's
// count taken before the request.
func (c matrixCell) verify(t testing.TB, app core.App, raw []byte, all map[string][]string, before string, countBefore int64) {
	t.Helper()
	var body map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("response is not JSON: %v\n%s", err, raw)
		}
	}
	for _, text := range c.hides {
		if strings.Contains(string(raw), text) {
			t.Errorf("response leaks %q:\n%s", text, raw)
		}
	}
	ok := c.status < 300
	switch c.op {
	case opList:
		if ok {
			matrixCheckIDs(t, body, c.sees, all[c.coll])
		}
	case opView:
		id, _, _ := strings.Cut(c.id, "?")
		if ok && body["id"] != id {
			t.Errorf("viewed id = %v, want %s", body["id"], id)
		}
	case opCreate:
		after := matrixCount(t, app, c.coll)
		if ok && after != countBefore+1 {
			t.Errorf("%s count %d → %d, want one more", c.coll, countBefore, after)
		}
		if !ok && after != countBefore {
			t.Errorf("refused create changed %s count %d → %d", c.coll, countBefore, after)
		}
	case opUpdate:
		after := matrixSnapshot(t, app, c.coll, c.id)
		if ok && after == before {
			t.Errorf("accepted update left %s/%s unchanged", c.coll, c.id)
		}
		if !ok && after != before {
			t.Errorf("refused update changed %s/%s:\nbefore %s\nafter  %s", c.coll, c.id, before, after)
		}
	case opDelete, opRestore:
		after := matrixSnapshot(t, app, c.coll, c.id)
		if c.api == apiV1 {
			// a soft delete stamps "deleted", a restore clears it
			stamped := after != "" && testapp.Record(t, app, c.coll, c.id).GetString("deleted") != ""
			if ok && stamped != (c.op == opDelete) {
				t.Errorf("accepted %s left %s/%s: %s", c.op, c.coll, c.id, after)
			}
			if !ok && after != before {
				t.Errorf("refused %s changed %s/%s:\nbefore %s\nafter  %s", c.op, c.coll, c.id, before, after)
			}
			break
		}
		if ok && after != "" {
			t.Errorf("accepted delete left %s/%s in place", c.coll, c.id)
		}
		if !ok && after != before {
			t.Errorf("refused delete changed %s/%s:\nbefore %s\nafter  %s", c.coll, c.id, before, after)
		}
	case opReplaceWeek:
		after := matrixWeek(t, app, c.id)
		if ok && after == before {
			t.Errorf("accepted replacement left teacher %s's week unchanged", c.id)
		}
		if !ok && after != before {
			t.Errorf("refused replacement changed teacher %s's week:\nbefore %s\nafter  %s", c.id, before, after)
		}
	}
	if c.then != nil {
		c.then(t, app, body)
	}
}
