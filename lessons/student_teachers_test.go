package lessons_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestTeacherSeesStudentsItTeaches: a teacher sees a student from its first
// lesson with it until that lesson is cancelled (the students rule reads
// the hidden `teacher_users` field the hooks keep), and no client ever sees or
// sets that field.
func TestTeacherSeesStudentsItTeaches(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	get := func(who testapp.Account, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", who.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		raw, _ := json.Marshal(body)
		return res.StatusCode, string(raw)
	}
	// listed: the teacher's /api/v1/students list (narrowed to its
	// student_teachers pairs) shows the student exactly when the record
	// API's view does.
	listed := func(when string, want bool) {
		t.Helper()
		code, body := get(f.TeacherYUser, "/api/v1/students?per_page=200")
		if code != 200 || strings.Contains(body, f.StudentA2) != want || strings.Contains(body, f.StudentA1) {
			t.Fatalf("%s: the teacher's list (%d) shows %s: %v, want %v; %s", when, code, f.StudentA2, !want, want, body)
		}
	}
	if code, _ := get(f.TeacherYUser, "/api/collections/students/records/"+f.StudentA2); code != 404 {
		t.Fatalf("before any lesson: %d", code)
	}
	listed("before any lesson", false)

	collection, _ := app.FindCollectionByNameOrId("lessons")
	l := core.NewRecord(collection)
	wed := testapp.NextMonday().AddDate(0, 0, 2).Add(-3 * time.Hour) // Wednesday 13:00, inside Y's window
	l.Load(map[string]any{"teacher": f.TeacherY, "student": f.StudentA2, "instrument": f.Violin, "start": wed, "end": wed.Add(30 * time.Minute), "kind": "trial", "status": "scheduled"})
	if err := app.Save(l); err != nil {
		t.Fatal(err)
	}
	if code, body := get(f.TeacherYUser, "/api/collections/students/records/"+f.StudentA2); code != 200 || strings.Contains(body, `"teacher_users"`) {
		t.Fatalf("after the lesson: %d %s", code, body)
	}
	if code, body := get(f.ParentA, "/api/v1/students/"+f.StudentA2); code != 200 || strings.Contains(body, `"teacher_users"`) {
		t.Fatalf("the family sees the hidden field: %s", body)
	}
	listed("after the lesson", true)

	l.Set("status", "cancelled")
	if err := app.Save(l); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(f.TeacherYUser, "/api/collections/students/records/"+f.StudentA2); code != 404 {
		t.Fatalf("after cancelling: %d", code)
	}
	listed("after cancelling", false)

	// An enrollment with Y shows the student again; deleting it hides it.
	enrollments, _ := app.FindCollectionByNameOrId("enrollments")
	en := core.NewRecord(enrollments)
	en.Load(map[string]any{"student": f.StudentA2, "teacher": f.TeacherY, "plan": f.PlanPublic, "status": "active", "start_date": wed})
	if err := app.Save(en); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(f.TeacherYUser, "/api/collections/students/records/"+f.StudentA2); code != 200 {
		t.Fatalf("after enrolling: %d", code)
	}
	listed("after enrolling", true)
	if err := app.Delete(en); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(f.TeacherYUser, "/api/collections/students/records/"+f.StudentA2); code != 404 {
		t.Fatalf("after the enrollment is gone: %d", code)
	}
	listed("after the enrollment is gone", false)
}

// TestStudentTeachersCannotBeSetByClients: a parent (or an admin through
// the record API) cannot write the kept field.
func TestStudentTeachersCannotBeSetByClients(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	for _, who := range []testapp.Account{f.ParentA, f.Admin} {
		s := tests.ApiScenario{
			Name: "set teachers as " + who.Email, Method: http.MethodPatch, URL: "/api/collections/students/records/" + f.StudentA2,
			Headers:        map[string]string{"Authorization": who.Token},
			Body:           strings.NewReader(`{"teacher_users":"` + f.TeacherYUser.ID + `","notes":"x"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"notes":"x"`}, NotExpectedContent: []string{`"teacher_users"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := testapp.Record(t, app, "students", f.StudentA2).GetString("teacher_users"); got != "" {
					t.Fatalf("teachers = %v", got)
				}
			},
			TestAppFactory: testapp.Factory,
		}
		s.Test(t)
	}
}
