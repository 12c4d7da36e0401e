package hooks_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/hooks"
	"cedarheights/internal/testapp"
)

// issueFilter is the filter of issue 9 item 2 (24 s on the demo's lessons).
const issueFilter = `teacher.lessons_via_teacher.student.lessons_via_student.teacher.lessons_via_teacher.id ?!= ""`

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

func TestQueryCostGuard(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	lessons := "/api/collections/lessons/records"
	refused := func(param string) []string {
		return []string{`"status":400`, `"` + param + `":{"code":"validation_query_too_costly"`}
	}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "the issue's filter as a parent is refused, naming filter", Method: http.MethodGet,
			URL: lessons + query("filter", issueFilter), Headers: apiAs(f.ParentA),
			ExpectedStatus: 400, ExpectedContent: refused("filter"),
		},
		{
			Name: "the issue's filter as a teacher", Method: http.MethodGet,
			URL: lessons + query("filter", issueFilter), Headers: apiAs(f.TeacherXUser),
			ExpectedStatus: 400, ExpectedContent: refused("filter"),
		},
		{
			Name: "the issue's filter as the academy's admin", Method: http.MethodGet,
			URL: lessons + query("filter", issueFilter), Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: refused("filter"),
		},
		{
			Name: "anonymous too", Method: http.MethodGet,
			URL:            "/api/collections/teachers/records" + query("filter", `lessons_via_teacher.student.lessons_via_student.id != ""`),
			ExpectedStatus: 400, ExpectedContent: refused("filter"),
		},
		{
			Name: "a deep sort is refused, naming sort", Method: http.MethodGet,
			URL: lessons + query("sort", "-teacher.lessons_via_teacher.student.lessons_via_student.start"), Headers: apiAs(f.ParentA),
			ExpectedStatus: 400, ExpectedContent: refused("sort"),
		},
		{
			Name: "a deep expand on a list is refused, naming expand", Method: http.MethodGet,
			URL: lessons + query("expand", "student,teacher.lessons_via_teacher.student.lessons_via_student"), Headers: apiAs(f.ParentA),
			ExpectedStatus: 400, ExpectedContent: refused("expand"),
		},
		{
			Name: "a deep expand on a view", Method: http.MethodGet,
			URL: lessons + "/" + f.LessonA1 + query("expand", "teacher.lessons_via_teacher.student.lessons_via_student"), Headers: apiAs(f.ParentA),
			ExpectedStatus: 400, ExpectedContent: refused("expand"),
		},
		{
			Name: "a deep expand on a login", Method: http.MethodPost,
			URL:     "/api/collections/users/auth-with-password" + query("expand", "students_via_parent.lessons_via_student.teacher.lessons_via_teacher"),
			Body:    apiBody(map[string]string{"identity": f.ParentA.Email, "password": testapp.Password}),
			Headers: map[string]string{"Content-Type": "application/json"}, ExpectedStatus: 400, ExpectedContent: refused("expand"),
		},
		{
			// teachers.instruments is a multiple relation: a JSON array no
			// index serves.
			Name: "a back-relation through a field without an index", Method: http.MethodGet,
			URL: "/api/collections/instruments/records" + query("filter", `teachers_via_instruments.id != ""`), Headers: apiAs(f.ParentA),
			ExpectedStatus: 400, ExpectedContent: append(refused("filter"), "no index"),
		},
		{
			Name: "a superuser is exempt (the deadline bounds it)", Method: http.MethodGet,
			URL: lessons + query("filter", issueFilter), Headers: apiAs(f.Superuser),
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[`},
		},
		{
			Name: "what the academy's clients send passes", Method: http.MethodGet,
			URL: "/api/collections/teachers/records" + query("filter", `active=true && availability_via_teacher.weekday ?>= 0`,
				"sort", "-display_name,id", "expand", "availability_via_teacher"),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"availability_via_teacher":[`},
		},
		{
			Name: "a parent's own lessons with two hops pass", Method: http.MethodGet,
			URL:     lessons + query("filter", `student.parent.id = "`+f.ParentA.ID+`"`, "sort", "-student.first_name", "expand", "student,teacher"),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.LessonA1 + `"`},
		},
	})
}

// TestQueryDeadlineAnswers503: a deadline that has passed before the first
// query cuts the record API's list and view; PocketBase's own error (a 400
// "something went wrong") becomes a 503 naming the deadline.
func TestQueryDeadlineAnswers503(t *testing.T) {
	f := testapp.Get(t)
	t.Setenv(hooks.QueryDeadlineEnv, "1ns")
	lessons := "/api/collections/lessons/records"
	cut := []string{`"status":503`, `deadline`}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "list", Method: http.MethodGet, URL: lessons, Headers: apiAs(f.Superuser),
			ExpectedStatus: 503, ExpectedContent: cut,
		},
		{
			Name: "view", Method: http.MethodGet, URL: lessons + "/" + f.LessonA1, Headers: apiAs(f.Superuser),
			ExpectedStatus: 503, ExpectedContent: cut,
		},
	})
}

// TestRecordAPIQueriesCarryTheDeadline pins the PocketBase internals the
// deadline depends on: every query the record API runs on the collection
// listed and the expanded one (list, count, view, expand) reaches the
// driver with the request's deadline, not PocketBase's own 30 s per query.
// An upgrade that builds them elsewhere fails here.
func TestRecordAPIQueriesCarryTheDeadline(t *testing.T) {
	f := testapp.Get(t)
	t.Setenv(hooks.QueryDeadlineEnv, "1h")
	// Each scenario keeps its own log: the two run side by side, and one
	// log shared by both was emptied by the other's setup mid-request.
	probe := func(min int) (func(testing.TB, *tests.TestApp, *core.ServeEvent), func(testing.TB, *tests.TestApp, *http.Response)) {
		var mu sync.Mutex
		var seen, short []string
		watch := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			app.ConcurrentDB().(*dbx.DB).QueryLogFunc = func(ctx context.Context, _ time.Duration, sql string, _ *sql.Rows, _ error) {
				if !strings.Contains(sql, "FROM `lessons`") && !strings.Contains(sql, "FROM `teachers`") {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, sql)
				if d, ok := ctx.Deadline(); !ok || time.Until(d) < 30*time.Minute {
					short = append(short, sql)
				}
			}
		}
		check := func(t testing.TB, _ *tests.TestApp, _ *http.Response) {
			mu.Lock()
			defer mu.Unlock()
			if len(seen) < min {
				t.Fatalf("saw %d queries, want at least %d: %q", len(seen), min, seen)
			}
			if len(short) > 0 {
				t.Fatalf("%d of %d queries ran without the request's deadline: %q", len(short), len(seen), short)
			}
		}
		return watch, check
	}
	listWatch, listCheck := probe(3) // lessons, their count, teachers
	viewWatch, viewCheck := probe(2) // the lesson, its teacher
	lessons := "/api/collections/lessons/records"
	apiRun(t, []tests.ApiScenario{
		{
			Name: "list with its count and an expand", Method: http.MethodGet,
			URL:     lessons + query("filter", `teacher.display_name != ""`, "sort", "-teacher.display_name", "expand", "teacher"),
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"expand":{"teacher"`},
			BeforeTestFunc: listWatch, AfterTestFunc: listCheck,
		},
		{
			Name: "view with an expand", Method: http.MethodGet,
			URL: lessons + "/" + f.LessonA1 + query("expand", "teacher"), Headers: apiAs(f.ParentA),
			ExpectedStatus: 200, ExpectedContent: []string{`"expand":{"teacher"`},
			BeforeTestFunc: viewWatch, AfterTestFunc: viewCheck,
		},
	})
}

// TestRealtimeSubscriptionsAreGuarded: Register binds the guard to
// realtime subscriptions, whose filter runs on every change of a lesson.
func TestRealtimeSubscriptionsAreGuarded(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	options := `{"query":{"filter":"teacher.lessons_via_teacher.student.lessons_via_student.id != ''"}}`
	e := &core.RealtimeSubscribeRequestEvent{Subscriptions: []string{"lessons/*?options=" + url.QueryEscape(options)}}
	e.RequestEvent = &core.RequestEvent{App: app}
	e.Request = httptest.NewRequest(http.MethodPost, "/api/realtime", nil)
	subscribed := false
	err := app.OnRealtimeSubscribeRequest().Trigger(e, func(*core.RealtimeSubscribeRequestEvent) error {
		subscribed = true
		return nil
	})
	if err == nil || subscribed || !strings.Contains(fmt.Sprint(err), "relations") {
		t.Fatalf("subscribed %v, err %v; want a 400 refusal", subscribed, err)
	}
}
