package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// A teacher's students list keeps a handful of all students: it must find
// them through student_teachers' primary key (the teacher's range) and look
// up only those, not try the ListRule's LIKE on every student in name order
// (pb_migrations 1765100300_student_teachers.go; the sort of a teacher's
// few rows is cheap).
func TestTeacherStudentsListReadsItsPairs(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	studentsPage := func(q string) bool { return strings.Contains(q, "FROM `students`") && strings.Contains(q, "LIKE") }
	pagePlan(t, f.TeacherXUser, "/api/v1/students?per_page=20", studentsPage, func(t testing.TB, plan string) {
		if !strings.Contains(plan, "SEARCH student_teachers USING PRIMARY KEY (teacher_user=?)") ||
			!strings.Contains(plan, "SEARCH students USING INDEX sqlite_autoindex_students_1 (id=?)") {
			t.Errorf("the page is not read through the teacher's pairs: %s", plan)
		}
	})
}

// The pairs only narrow: a pair the students rule does not back (here one
// written by hand, out of step with teacher_users) shows nothing, and the
// teacher's list and total stay the record API's.
func TestTeacherPairsNeverAdmit(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	apiRun(t, []tests.ApiScenario{{
		Name: "a stray pair", Method: http.MethodGet, URL: "/api/v1/students?per_page=200", Headers: apiAs(f.TeacherXUser),
		ExpectedStatus: 200, ExpectedContent: []string{f.StudentA1}, NotExpectedContent: []string{f.StudentB1},
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			if _, err := app.DB().Insert("student_teachers", dbx.Params{"teacher_user": f.TeacherXUser.ID, "student": f.StudentB1}).Execute(); err != nil {
				t.Fatal(err)
			}
		},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			got := apiDecode(t, res)
			want := providerTotal(t, app, f.TeacherXUser, "students", `deleted = ""`, 200)
			if int(got["totalItems"].(float64)) != want.TotalItems {
				t.Errorf("total %v, the record API's %d", got["totalItems"], want.TotalItems)
			}
		},
	}})
}

// Without its triggers student_teachers would fall behind teacher_users:
// the list is then not narrowed, and the teacher still sees its students.
func TestTeacherListWithoutPairTriggers(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	apiRun(t, []tests.ApiScenario{{
		Name: "triggers dropped", Method: http.MethodGet, URL: "/api/v1/students?per_page=200", Headers: apiAs(f.TeacherXUser),
		ExpectedStatus: 200, ExpectedContent: []string{f.StudentA1}, NotExpectedContent: []string{f.StudentB1},
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			for _, q := range []string{"DROP TRIGGER student_teachers_insert", "DELETE FROM student_teachers"} {
				if _, err := app.DB().NewQuery(q).Execute(); err != nil {
					t.Fatal(err)
				}
			}
		},
	}})
}
