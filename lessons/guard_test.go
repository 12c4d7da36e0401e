package lessons_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/internal/testapp"
	"cedarheights/lessons"
)

// lessonBody is a lesson for teacher X (Mondays 15:00–19:00 UTC, piano,
// 30/45 min) at the given offset from the fixture lesson A1 (next Monday
// 16:00 UTC, 30 min).
func lessonBody(f *testapp.Fixtures, student string, offset time.Duration, minutes int) string {
	start := testapp.NextMonday().Add(offset)
	return fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"end":%q,"kind":"regular","status":"scheduled"}`,
		f.TeacherX, student, f.Piano, start.Format(time.RFC3339), start.Add(time.Duration(minutes)*time.Minute).Format(time.RFC3339))
}

// TestLessonConflictsOnEveryWritePath: the collection API as an academy
// admin, the same API as a superuser (what the admin UI sends) and Go code
// are refused alike, with the rule's code on the field it concerns.
func TestLessonConflictsOnEveryWritePath(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/collections/lessons/records"
	countLessons := func(want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			n, err := app.CountRecords("lessons")
			if err != nil || int(n) != want {
				t.Fatalf("lessons = %d (%v), want %d", n, err, want)
			}
		}
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "admin: teacher busy (overlaps A1)", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, 15*time.Minute, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"teacher":{"code":"teacher_busy"`},
			AfterTestFunc: countLessons(2), TestAppFactory: testapp.Factory,
		},
		{
			Name: "superuser (admin UI): teacher busy", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Superuser.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, 15*time.Minute, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"teacher":{"code":"teacher_busy"`},
			AfterTestFunc: countLessons(2), TestAppFactory: testapp.Factory,
		},
		{
			Name: "inside the 10-minute buffer", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, 35*time.Minute, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"teacher_busy"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "student busy: A1 again at the same time with nobody else", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA1, 0, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"student":{"code":"student_busy"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "outside availability", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, 4*time.Hour, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"outside_availability"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "length not offered", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, time.Hour, 60)),
			ExpectedStatus: 409, ExpectedContent: []string{`"end":{"code":"length_not_offered"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "in the past", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, -7*24*time.Hour-7*24*time.Hour*5, 30)),
			ExpectedStatus: 409, ExpectedContent: []string{`"start":{"code":"in_the_past"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "fits: one hour after A1", Method: http.MethodPost, URL: url,
			Headers: map[string]string{"Authorization": f.Admin.Token}, Body: strings.NewReader(lessonBody(f, f.StudentA2, time.Hour, 30)),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"scheduled"`},
			AfterTestFunc: countLessons(3), TestAppFactory: testapp.Factory,
		},
		{
			Name: "teacher marks attendance without a re-check", Method: http.MethodPatch, URL: url + "/" + f.LessonA1,
			Headers: map[string]string{"Authorization": f.TeacherXUser.Token}, Body: strings.NewReader(`{"status":"completed","teacher_notes":"Good work"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				moveLessonBack(t, app, f.LessonA1, 21*24*time.Hour) // attendance waits for the start
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"completed"`}, TestAppFactory: testapp.Factory,
		},
		{
			Name: "admin moves B1 onto A1's teacher: refused", Method: http.MethodPatch, URL: url + "/" + f.LessonB1,
			Headers:        map[string]string{"Authorization": f.Admin.Token},
			Body:           strings.NewReader(fmt.Sprintf(`{"teacher":%q,"instrument":%q,"start":%q,"end":%q}`, f.TeacherX, f.Piano, testapp.NextMonday().Format(time.RFC3339), testapp.NextMonday().Add(30*time.Minute).Format(time.RFC3339))),
			ExpectedStatus: 409, ExpectedContent: []string{`"teacher":{"code":"teacher_busy"`}, TestAppFactory: testapp.Factory,
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}

	// Go code (a workflow, the CLI) gets the same refusal with every rule.
	app, f := testapp.New(t)
	collection, _ := app.FindCollectionByNameOrId("lessons")
	r := core.NewRecord(collection)
	var data map[string]any
	if err := json.Unmarshal([]byte(lessonBody(f, f.StudentA1, 15*time.Minute, 60)), &data); err != nil {
		t.Fatal(err)
	}
	r.Load(data)
	err := app.Save(r)
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) || apiErr.Status != 409 {
		t.Fatalf("Go save: %v", err)
	}
	raw, _ := json.Marshal(apiErr.Data)
	for _, code := range []string{"teacher_busy", "student_busy", "length_not_offered"} {
		if !strings.Contains(string(raw), code) {
			t.Errorf("Go save error lacks %s: %s", code, raw)
		}
	}
}

// TestLessonOneOfConcurrentBookingsWins: 40 simultaneous requests for one
// slot over real HTTP yield exactly one lesson.
func TestLessonOneOfConcurrentBookingsWins(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)

	const n = 40
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/collections/lessons/records", strings.NewReader(lessonBody(f, f.StudentA2, 2*time.Hour, 30)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", f.Admin.Token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 200:
			won++
		case 409:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d requests won the slot: %v", won, statuses)
	}
	if total, err := app.CountRecords("lessons"); err != nil || total != 3 {
		t.Fatalf("lessons = %d (%v), want 3", total, err)
	}
}

// TestLessonHooksLeaveAUsableApp: after the guarded write commits, later
// hooks (realtime broadcasts, after-success hooks) must get the app back,
// not the finished transaction.
func TestLessonHooksLeaveAUsableApp(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	var afterErr error
	app.OnRecordAfterCreateSuccess("lessons", "closures").BindFunc(func(e *core.RecordEvent) error {
		_, afterErr = e.App.CountRecords("lessons")
		return e.Next()
	})
	collection, _ := app.FindCollectionByNameOrId("lessons")
	r := core.NewRecord(collection)
	var data map[string]any
	if err := json.Unmarshal([]byte(lessonBody(f, f.StudentA2, time.Hour, 30)), &data); err != nil {
		t.Fatal(err)
	}
	r.Load(data)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if afterErr != nil {
		t.Fatalf("after-success hook on lessons: %v", afterErr)
	}
	closures, _ := app.FindCollectionByNameOrId("closures")
	c := core.NewRecord(closures)
	c.Set("name", "Storm")
	c.Set("start", testapp.NextMonday().AddDate(1, 0, 0))
	c.Set("end", testapp.NextMonday().AddDate(1, 0, 1))
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
	if afterErr != nil {
		t.Fatalf("after-success hook on closures: %v", afterErr)
	}
}

func TestCheckLessonWritesNothing(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	collection, _ := app.FindCollectionByNameOrId("lessons")
	r := core.NewRecord(collection)
	var data map[string]any
	if err := json.Unmarshal([]byte(lessonBody(f, f.StudentA1, 0, 30)), &data); err != nil {
		t.Fatal(err)
	}
	r.Load(data)
	conflicts, err := lessons.CheckLesson(app, r)
	if err != nil || len(conflicts) != 2 || conflicts[0].LessonID != f.LessonA1 {
		t.Fatalf("conflicts %+v, %v", conflicts, err)
	}
	if n, _ := app.CountRecords("lessons"); n != 2 {
		t.Fatalf("lessons = %d", n)
	}
}

func TestLessonLongerThanThreeHoursRefused(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	start := testapp.NextMonday().Add(-time.Hour)
	s := tests.ApiScenario{
		Name: "four-hour lesson", Method: http.MethodPost, URL: "/api/collections/lessons/records",
		Headers: map[string]string{"Authorization": f.Admin.Token},
		Body: strings.NewReader(fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"end":%q,"kind":"regular","status":"scheduled"}`,
			f.TeacherX, f.StudentA2, f.Piano, start.Format(time.RFC3339), start.Add(4*time.Hour).Format(time.RFC3339))),
		ExpectedStatus: 400, ExpectedContent: []string{`"end":{"code":"validation_lesson_too_long"`}, TestAppFactory: testapp.Factory,
	}
	s.Test(t)
}
