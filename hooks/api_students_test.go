package hooks_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

func TestStudentsList(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/students"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodGet, URL: url,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "parent A sees its own family, not the deleted one", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":2`},
			AfterTestFunc: apiExpectIDs(f.StudentA1, f.StudentA2),
		},
		{
			Name: "parent A asking for parent B's family gets nothing", Method: http.MethodGet, URL: url + "?parent=" + f.ParentB.ID,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`, `"items":[]`},
			NotExpectedContent: []string{f.StudentB1},
		},
		{
			Name: "parent A's include_deleted shows no deleted student", Method: http.MethodGet, URL: url + "?include_deleted=1",
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA1, f.StudentA2),
		},
		{
			Name: "parent A searching parent B's student by name finds nothing", Method: http.MethodGet, URL: url + "?q=Ben",
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name: "teacher X sees the student it teaches", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA1),
		},
		{
			Name: "teacher Y sees the student it teaches", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentB1),
		},
		{
			Name: "admin sees every live student", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":3`},
			AfterTestFunc: apiExpectIDs(f.StudentA1, f.StudentA2, f.StudentB1),
		},
		{
			Name: "admin with include_deleted sees deleted students", Method: http.MethodGet, URL: url + "?include_deleted=true",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA1, f.StudentA2, f.StudentADeleted, f.StudentB1),
		},
		{
			Name: "superuser sees every live student", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.Superuser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA1, f.StudentA2, f.StudentB1),
		},
		{
			Name: "admin filters by parent", Method: http.MethodGet, URL: url + "?parent=" + f.ParentB.ID,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentB1),
		},
		{
			Name: "admin filters by status", Method: http.MethodGet, URL: url + "?status=prospect",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA2),
		},
		{
			Name: "admin filters by instrument", Method: http.MethodGet, URL: url + "?instrument=" + f.Violin,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA2, f.StudentB1),
		},
		{
			Name: "admin filters by preferred teacher", Method: http.MethodGet, URL: url + "?teacher=" + f.TeacherX,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentA1),
		},
		{
			Name: "admin searches names", Method: http.MethodGet, URL: url + "?q=ben",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.StudentB1),
		},
		{
			Name: "a search with quotes is a value, not filter syntax", Method: http.MethodGet, URL: url + `?q=%22%20%7C%7C%20id%20!%3D%20%22`,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name: "pages and sorts", Method: http.MethodGet, URL: url + "?per_page=1&page=2&sort=-name",
			Headers: apiAs(f.Admin), ExpectedStatus: 200,
			// -name: Brown (Ben), Anders (Andy), Anders (Amy)
			ExpectedContent: []string{`"page":2`, `"perPage":1`, `"totalItems":3`, `"totalPages":3`, `"id":"` + f.StudentA2 + `"`},
		},
		{
			Name: "skip_total skips the count", Method: http.MethodGet, URL: url + "?skip_total=1",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":-1`},
		},
		{
			Name: "invalid filters are 400 naming each parameter", Method: http.MethodGet,
			URL:     url + "?status=bogus&instrument=a%20b&teacher=x%27y&parent=%22&per_page=500&page=0&sort=password&include_deleted=maybe&skip_total=2",
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"status":{"code"`, `"instrument":{`, `"teacher":{`, `"parent":{`, `"per_page":{`, `"page":{`, `"sort":{`, `"include_deleted":{`, `"skip_total":{`},
		},
		{
			Name: "an over-long search is 400 on q", Method: http.MethodGet, URL: url + "?q=" + strings.Repeat("a", 101),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"q":{"code"`},
		},
	})
}

func TestStudentsView(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/students/"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodGet, URL: url + f.StudentA1,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "parent A views its own student", Method: http.MethodGet, URL: url + f.StudentA1,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + f.StudentA1 + `"`, `"first_name":"Amy"`, `"collectionName":"students"`},
		},
		{
			Name: "parent A viewing parent B's student is 404", Method: http.MethodGet, URL: url + f.StudentB1,
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
			NotExpectedContent: []string{"Ben", "rosin"},
		},
		{
			Name: "parent A viewing its deleted student is 404", Method: http.MethodGet, URL: url + f.StudentADeleted,
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "unknown id is 404", Method: http.MethodGet, URL: url + "nosuchstudent00",
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "teacher X views the student it teaches", Method: http.MethodGet, URL: url + f.StudentA1,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.StudentA1 + `"`},
		},
		{
			Name: "teacher X viewing another teacher's student is 404", Method: http.MethodGet, URL: url + f.StudentB1,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "admin views a deleted student", Method: http.MethodGet, URL: url + f.StudentADeleted,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.StudentADeleted + `"`},
		},
		{
			Name: "expand follows the related collection's rules", Method: http.MethodGet, URL: url + f.StudentA1 + "?expand=preferred_teacher",
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"display_name":"Xavier Xu"`},
		},
	})
}

func TestStudentsCreate(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/students"
	valid := func(parent string) map[string]any {
		return map[string]any{"parent": parent, "first_name": "Cleo", "last_name": "Anders", "status": "prospect",
			"birth_date": "2016-09-01", "instruments": []string{f.Piano}, "level": "beginner"}
	}
	with := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
	without := func(m map[string]any, k string) map[string]any { delete(m, k); return m }
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := apiCount(t, app, "students"); n != 4 {
			t.Fatalf("students = %d, want the 4 fixtures", n)
		}
	}
	created := func(parent, status string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, res *http.Response) {
			id, _ := apiDecode(t, res)["id"].(string)
			s := testapp.Record(t, app, "students", id)
			if s.GetString("parent") != parent || s.GetString("status") != status || s.GetString("first_name") != "Cleo" {
				t.Fatalf("stored %v", s.FieldsData())
			}
			if got := s.GetDateTime("birth_date").String(); got != "2016-09-01 00:00:00.000Z" {
				t.Fatalf("birth_date = %q", got)
			}
		}
	}
	createdBy := func(a testapp.Account, parent, status string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, res *http.Response) {
			body, _ := io.ReadAll(res.Body)
			res.Body = io.NopCloser(bytes.NewReader(body))
			created(parent, status)(t, app, res)
			var out struct{ Id string }
			_ = json.Unmarshal(body, &out)
			apiAudited(t, app, a, "create", "students", out.Id)
		}
	}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url, Body: apiBody(valid(f.ParentA.ID)),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: unchanged,
		},
		{
			Name: "parent A creates a student in its family", Method: http.MethodPost, URL: url, Body: apiBody(valid(f.ParentA.ID)),
			Headers: apiAs(f.ParentA), ExpectedStatus: 201, ExpectedContent: []string{`"first_name":"Cleo"`, `"parent":"` + f.ParentA.ID + `"`},
			AfterTestFunc: createdBy(f.ParentA, f.ParentA.ID, "prospect"),
		},
		{
			Name: "parent A creating in parent B's family is 403", Method: http.MethodPost, URL: url, Body: apiBody(valid(f.ParentB.ID)),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			ExpectedEvents: map[string]int{"OnRecordCreate": 0}, AfterTestFunc: unchanged,
		},
		{
			Name: "parent A setting status active is 403", Method: http.MethodPost, URL: url, Body: apiBody(with(valid(f.ParentA.ID), "status", "active")),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: unchanged,
		},
		{
			Name: "parent A creating a deleted student is 403", Method: http.MethodPost, URL: url, Body: apiBody(with(valid(f.ParentA.ID), "deleted", "2026-01-01")),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: unchanged,
		},
		{
			Name: "teacher is 403", Method: http.MethodPost, URL: url, Body: apiBody(valid(f.ParentA.ID)),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: unchanged,
		},
		{
			Name: "admin creates an active student for parent B", Method: http.MethodPost, URL: url, Body: apiBody(with(valid(f.ParentB.ID), "status", "active")),
			Headers: apiAs(f.Admin), ExpectedStatus: 201, ExpectedContent: []string{`"status":"active"`},
			AfterTestFunc: createdBy(f.Admin, f.ParentB.ID, "active"),
		},
		{
			Name: "missing parent is 400 on parent", Method: http.MethodPost, URL: url, Body: apiBody(without(valid(""), "parent")),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400, ExpectedContent: []string{`"parent":{"code":"validation_required"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "an empty body is 400 naming every missing required field", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{}`),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent:    []string{`"parent":{"code":"validation_required"`, `"first_name":{"code":"validation_required"`, `"last_name":{"code":"validation_required"`},
			NotExpectedContent: []string{`"status":{`}, // left out, it defaults
			AfterTestFunc:      unchanged,
		},
		{
			Name: "wrong types and missing fields are named together", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"first_name":5,"birth_date":"soon"}`),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"parent":{"code":"validation_required"`, `"first_name":{"code":"validation_invalid_type"`, `"last_name":{"code":"validation_required"`, `"birth_date":{"code":"validation_invalid_date"`},
			AfterTestFunc:   unchanged,
		},
		{
			Name: "a parent leaving status out creates a prospect", Method: http.MethodPost, URL: url, Body: apiBody(without(valid(f.ParentA.ID), "status")),
			Headers: apiAs(f.ParentA), ExpectedStatus: 201, ExpectedContent: []string{`"status":"prospect"`},
			AfterTestFunc: createdBy(f.ParentA, f.ParentA.ID, "prospect"),
		},
		{
			Name: "an admin leaving status out creates a prospect", Method: http.MethodPost, URL: url, Body: apiBody(without(valid(f.ParentB.ID), "status")),
			Headers: apiAs(f.Admin), ExpectedStatus: 201, ExpectedContent: []string{`"status":"prospect"`},
			AfterTestFunc: createdBy(f.Admin, f.ParentB.ID, "prospect"),
		},
		{
			Name: "missing names are 400 naming them", Method: http.MethodPost, URL: url,
			Body:    apiBody(without(without(valid(f.ParentA.ID), "first_name"), "last_name")),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"first_name":{"code":"validation_required"`, `"last_name":{"code":"validation_required"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "wrong types are 400 naming each field", Method: http.MethodPost, URL: url,
			Body:    apiBody(with(with(with(valid(f.ParentA.ID), "first_name", 5), "birth_date", "not a date"), "instruments", 3)),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"first_name":{"code":"validation_invalid_type"`, `"birth_date":{"code":"validation_invalid_date"`, `"instruments":{"code":"validation_invalid_type"`},
			AfterTestFunc:   unchanged,
		},
		{
			Name: "an unknown instrument is 400 on instruments", Method: http.MethodPost, URL: url,
			Body:    apiBody(with(valid(f.ParentA.ID), "instruments", []string{"nosuchinstrumt"})),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400, ExpectedContent: []string{`"instruments":{"code":"validation_missing_rel_records"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "an unknown status is 400 on status", Method: http.MethodPost, URL: url, Body: apiBody(with(valid(f.ParentB.ID), "status", "bogus")),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_invalid_value"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"first_name":`),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: unchanged,
		},
		{
			Name: "a JSON array is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`[1,2]`),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: unchanged,
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url, Body: apiOversized("notes"),
			Headers: apiAs(f.ParentA), ExpectedStatus: 413, ExpectedContent: []string{`"status":413`}, AfterTestFunc: unchanged,
		},
	})
}

func TestStudentsUpdate(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/students/"
	fieldIs := func(id, field, want string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if got := apiField(t, app, "students", id, field); got != want {
				t.Fatalf("%s.%s = %q, want %q", id, field, got, want)
			}
		}
	}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodPut, URL: url + f.StudentA1, Body: apiBody(map[string]any{"notes": "x"}),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: fieldIs(f.StudentA1, "notes", ""),
		},
		{
			Name: "parent A updates its student with PUT", Method: http.MethodPut, URL: url + f.StudentA1,
			Body:    apiBody(map[string]any{"notes": "prefers mornings", "level": "intermediate"}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"notes":"prefers mornings"`, `"first_name":"Amy"`},
			AfterTestFunc: fieldIs(f.StudentA1, "level", "intermediate"),
		},
		{
			Name: "parent A updates its student with PATCH", Method: http.MethodPatch, URL: url + f.StudentA2,
			Body:    apiBody(map[string]any{"first_name": "Andrew"}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"first_name":"Andrew"`},
			AfterTestFunc: fieldIs(f.StudentA2, "first_name", "Andrew"),
		},
		{
			Name: "parent A updating parent B's student is 404", Method: http.MethodPut, URL: url + f.StudentB1,
			Body:    apiBody(map[string]any{"notes": "hacked"}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
			AfterTestFunc: fieldIs(f.StudentB1, "notes", "allergic to rosin"),
		},
		{
			Name: "parent A changing status is 403", Method: http.MethodPut, URL: url + f.StudentA2,
			Body:    apiBody(map[string]any{"status": "active"}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: fieldIs(f.StudentA2, "status", "prospect"),
		},
		{
			Name: "parent A moving a student to parent B is 403", Method: http.MethodPut, URL: url + f.StudentA1,
			Body:    apiBody(map[string]any{"parent": f.ParentB.ID}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: fieldIs(f.StudentA1, "parent", f.ParentA.ID),
		},
		{
			Name: "teacher X updating the student it teaches is 403", Method: http.MethodPut, URL: url + f.StudentA1,
			Body:    apiBody(map[string]any{"notes": "from teacher"}),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: fieldIs(f.StudentA1, "notes", ""),
		},
		{
			Name: "admin changes status", Method: http.MethodPatch, URL: url + f.StudentB1,
			Body:    apiBody(map[string]any{"status": "paused"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"status":"paused"`},
			ExpectedEvents: map[string]int{"OnRecordUpdate": 1, "OnRecordAfterUpdateSuccess": 1},
			AfterTestFunc:  fieldIs(f.StudentB1, "status", "paused"),
		},
		{
			Name: "system fields in the body are ignored", Method: http.MethodPatch, URL: url + f.StudentB1,
			Body:    apiBody(map[string]any{"id": "someotherid0000", "created": "2000-01-01 00:00:00.000Z", "notes": "ok"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.StudentB1 + `"`},
			AfterTestFunc: fieldIs(f.StudentB1, "notes", "ok"),
		},
		{
			Name: "unknown id is 404", Method: http.MethodPut, URL: url + "nosuchstudent00", Body: apiBody(map[string]any{"notes": "x"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "wrong types and values are 400 naming the field", Method: http.MethodPut, URL: url + f.StudentA1,
			Body:    apiBody(map[string]any{"level": 3, "preferred_teacher": "nosuchteacher00", "last_name": ""}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"level":{"code":"validation_invalid_type"`},
			AfterTestFunc:   fieldIs(f.StudentA1, "level", "beginner"),
		},
		{
			Name: "invalid values are 400 naming the field", Method: http.MethodPut, URL: url + f.StudentA1,
			Body:    apiBody(map[string]any{"level": "expert", "preferred_teacher": "nosuchteacher00", "last_name": ""}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"level":{"code":"validation_invalid_value"`, `"preferred_teacher":{"code":"validation_missing_rel_records"`, `"last_name":{"code":"validation_required"`},
			AfterTestFunc:   fieldIs(f.StudentA1, "last_name", "Anders"),
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPut, URL: url + f.StudentA1, Body: strings.NewReader(`{"notes":"x"`),
			Headers: apiAs(f.ParentA), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`},
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPut, URL: url + f.StudentA1, Body: apiOversized("notes"),
			Headers: apiAs(f.ParentA), ExpectedStatus: 413, ExpectedContent: []string{`"status":413`},
			AfterTestFunc: fieldIs(f.StudentA1, "notes", ""),
		},
	})
}

func TestStudentsSoftDeleteAndRestore(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/students/"
	deleted := func(id string, want bool) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			s := testapp.Record(t, app, "students", id)
			if got := !s.GetDateTime("deleted").IsZero(); got != want {
				t.Fatalf("%s deleted = %v (%q), want %v", id, got, s.GetString("deleted"), want)
			}
		}
	}
	var stamp string
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous delete is 401", Method: http.MethodDelete, URL: url + f.StudentA1,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: deleted(f.StudentA1, false),
		},
		{
			Name: "parent A soft deletes its student", Method: http.MethodDelete, URL: url + f.StudentA2,
			Headers: apiAs(f.ParentA), ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"OnRecordUpdate": 1, "OnRecordDelete": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				deleted(f.StudentA2, true)(t, app, res)
				apiAudited(t, app, f.ParentA, "update", "students", f.StudentA2)
				// still stored, gone from the family's list
				if n := apiCount(t, app, "students"); n != 4 {
					t.Fatalf("students = %d, soft delete must not remove rows", n)
				}
			},
		},
		{
			Name: "parent A deleting parent B's student is 404", Method: http.MethodDelete, URL: url + f.StudentB1,
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
			AfterTestFunc: deleted(f.StudentB1, false),
		},
		{
			Name: "teacher X deleting the student it teaches is 403", Method: http.MethodDelete, URL: url + f.StudentA1,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: deleted(f.StudentA1, false),
		},
		{
			Name: "admin soft deletes any student", Method: http.MethodDelete, URL: url + f.StudentB1,
			Headers: apiAs(f.Admin), ExpectedStatus: 204, AfterTestFunc: deleted(f.StudentB1, true),
		},
		{
			Name: "deleting a deleted student keeps the first stamp", Method: http.MethodDelete, URL: url + f.StudentADeleted,
			Headers: apiAs(f.Admin), ExpectedStatus: 204,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				stamp = apiField(t, app, "students", f.StudentADeleted, "deleted")
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := apiField(t, app, "students", f.StudentADeleted, "deleted"); got != stamp || got == "" {
					t.Fatalf("deleted = %q, want %q", got, stamp)
				}
			},
		},
		{
			Name: "unknown id delete is 404", Method: http.MethodDelete, URL: url + "nosuchstudent00",
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "admin restores a deleted student", Method: http.MethodPost, URL: url + f.StudentADeleted + "/restore",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.StudentADeleted + `"`, `"deleted":""`},
			AfterTestFunc: deleted(f.StudentADeleted, false),
		},
		{
			Name: "parent A cannot restore its deleted student", Method: http.MethodPost, URL: url + f.StudentADeleted + "/restore",
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
			AfterTestFunc: deleted(f.StudentADeleted, true),
		},
		{
			Name: "teacher X restoring is 403", Method: http.MethodPost, URL: url + f.StudentA1 + "/restore",
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		},
		{
			Name: "anonymous restore is 401", Method: http.MethodPost, URL: url + f.StudentADeleted + "/restore",
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: deleted(f.StudentADeleted, true),
		},
		{
			Name: "a soft-deleted student vanishes from the parent's list", Method: http.MethodGet, URL: "/api/v1/students",
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				s := testapp.Record(t, app, "students", f.StudentA2)
				s.Set("deleted", "2026-01-01 00:00:00.000Z")
				if err := app.Save(s); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: apiExpectIDs(f.StudentA1),
		},
		{
			Name: "unknown id restore is 404", Method: http.MethodPost, URL: url + "nosuchstudent00/restore",
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
	})

}
