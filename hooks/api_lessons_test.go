package hooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// monday is the fixture lessons' Monday (A1 at 16:00–16:30 UTC with teacher X).
func monday() time.Time { return testapp.NextMonday() }

func at(offset time.Duration) string { return monday().Add(offset).Format(time.RFC3339) }

func auth(a testapp.Account) map[string]string { return map[string]string{"Authorization": a.Token} }

func lessonJSON(f *testapp.Fixtures, student string, offset time.Duration, minutes int, extra string) string {
	return fmt.Sprintf(`{"teacher":%q,"student":%q,"start":%q,"minutes":%d%s}`, f.TeacherX, student, at(offset), minutes, extra)
}

func decode(t testing.TB, res *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestCheckConflicts(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/lessons/check-conflicts"
	scenarios := []tests.ApiScenario{
		{
			Name: "admin: clash with A1 names the lesson and offers alternatives", Method: http.MethodPost, URL: url, Headers: auth(f.Admin),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA2, 0, 30, `,"limit":3`)),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":false`, `"reason":"teacher_busy"`, `"lesson_id":"` + f.LessonA1 + `"`, `"reasons":["same teacher"`},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var body struct {
					Alternatives []struct {
						Teacher string    `json:"teacher"`
						Start   time.Time `json:"start"`
						Score   float64   `json:"score"`
					} `json:"alternatives"`
				}
				decode(t, res, &body)
				if len(body.Alternatives) != 3 {
					t.Fatalf("alternatives = %+v", body.Alternatives)
				}
				best := body.Alternatives[0]
				if best.Teacher != f.TeacherX || best.Start.Equal(monday()) || best.Start.Weekday() != time.Monday {
					t.Fatalf("best alternative %+v", best)
				}
			},
		},
		{
			Name: "parent B: clash with A1 hides the other family's lesson id", Method: http.MethodPost, URL: url, Headers: auth(f.ParentB),
			Body:           strings.NewReader(fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"minutes":30}`, f.TeacherX, f.StudentB1, f.Piano, at(0))),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":false`, `"reason":"teacher_busy"`}, NotExpectedContent: []string{f.LessonA1},
		},
		{
			Name: "parent A: clash with its own family's A1 names the lesson", Method: http.MethodPost, URL: url, Headers: auth(f.ParentA),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA2, 0, 30, "")),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":false`, `"reason":"teacher_busy"`, `"lesson_id":"` + f.LessonA1 + `"`},
		},
		{
			Name: "teacher X: clash with the lesson it teaches names it", Method: http.MethodPost, URL: url, Headers: auth(f.TeacherXUser),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, "")),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":false`, `"reason":"teacher_busy"`, `"lesson_id":"` + f.LessonA1 + `"`},
		},
		{
			Name: "fits", Method: http.MethodPost, URL: url, Headers: auth(f.ParentA),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA1, time.Hour, 45, "")),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":true`, `"conflicts":[]`, `"alternatives":[]`},
		},
		{
			Name: "weekly series: every occurrence listed", Method: http.MethodPost, URL: url, Headers: auth(f.Admin),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA2, time.Hour, 30, `,"recurrence":{"rrule":"FREQ=WEEKLY;COUNT=4"}`)),
			ExpectedStatus: 200, ExpectedContent: []string{`"ok":true`, `"occurrences":[`, `"status":"created"`},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var body struct{ Occurrences []any }
				decode(t, res, &body)
				if len(body.Occurrences) != 4 {
					t.Fatalf("occurrences = %d", len(body.Occurrences))
				}
			},
		},
		{Name: "anonymous", Method: http.MethodPost, URL: url, Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, "")), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "parent A: another family's student is unknown", Method: http.MethodPost, URL: url, Headers: auth(f.ParentA), Body: strings.NewReader(lessonJSON(f, f.StudentB1, 0, 30, "")), ExpectedStatus: 400, ExpectedContent: []string{`"student":{"code":"validation_unknown_record"`}},
		{Name: "unknown teacher", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":"nosuchteacher01","student":"` + f.StudentA1 + `","start":"` + at(0) + `","minutes":30}`), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_unknown_record"`}},
		{Name: "missing fields", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{}`), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_required"`, `"student":{"code":"validation_required"`, `"start":{"code":"validation_required"`, `"minutes":{"code":"validation_required"`}},
		{Name: "four wrong fields are named at once", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":5,"student":"nosuchstudent01","start":"next monday","minutes":"30"}`), ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_invalid_type"`, `"student":{"code":"validation_unknown_record"`, `"start":{"code":"validation_invalid_datetime"`, `"minutes":{"code":"validation_invalid_type"`}},
		{Name: "bad start", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":"` + f.TeacherX + `","student":"` + f.StudentA1 + `","start":"next monday","minutes":30}`), ExpectedStatus: 400, ExpectedContent: []string{`"start":{"code":"validation_invalid_datetime"`}},
		{Name: "wrong type", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, "")[:0] + `{"teacher":"` + f.TeacherX + `","student":"` + f.StudentA1 + `","start":"` + at(0) + `","minutes":"30"}`), ExpectedStatus: 400, ExpectedContent: []string{`"minutes":{"code":"validation_invalid_type"`}},
		{Name: "malformed RRULE", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, `,"recurrence":{"rrule":"FREQ=FORTNIGHTLY"}`)), ExpectedStatus: 400, ExpectedContent: []string{`"recurrence.rrule":{"code":"validation_invalid_recurrence"`}},
		{Name: "series too long", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, `,"recurrence":{"count":500}`)), ExpectedStatus: 400, ExpectedContent: []string{`"recurrence.count"`}},
		// found by FuzzRecurrence: a series with no occurrence was booked from starts[0] of an empty list (a panic, 500)
		{Name: "series with no occurrence", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, `,"recurrence":{"rrule":"FREQ=WEEKLY;UNTIL=20200101T000000Z"}`)), ExpectedStatus: 400, ExpectedContent: []string{`"recurrence.rrule":{"code":"validation_invalid_recurrence"`}},
		// found by the HTTP fuzz driver: a lesson whose end or alternatives fall in the year 10000
		{Name: "a start in the last year", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":"` + f.TeacherX + `","student":"` + f.StudentA1 + `","start":"9999-12-31T23:59:59Z","minutes":30}`), ExpectedStatus: 400, ExpectedContent: []string{`"start":{"code":"validation_invalid_datetime"`}},
		// found by FuzzParseInstant: the year 10000 in UTC does not read back from the database
		{Name: "a start past the year 9999 in UTC", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":"` + f.TeacherX + `","student":"` + f.StudentA1 + `","start":"9999-12-31T23:00:00-08:00","minutes":30}`), ExpectedStatus: 400, ExpectedContent: []string{`"start":{"code":"validation_invalid_datetime"`}},
		{Name: "series until before its start", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 30, `,"recurrence":{"until":"2020-01-01"}`)), ExpectedStatus: 400, ExpectedContent: []string{`"recurrence":{"code":"validation_invalid_recurrence"`}},
		{Name: "length out of range", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA1, 0, 5, "")), ExpectedStatus: 400, ExpectedContent: []string{`"minutes":{"code":"validation_min_greater_equal_than_required"`}},
		{Name: "malformed JSON", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
	}
	apiChecks(t, scenarios)
}

func TestCreateLessons(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/lessons"
	countLessons := func(want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n, err := app.CountRecords("lessons"); err != nil || int(n) != want {
				t.Fatalf("lessons = %d (%v), want %d", n, err, want)
			}
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "admin: single lesson", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA2, time.Hour, 30, "")), ExpectedStatus: 201, ExpectedContent: []string{`"status":"scheduled"`, `"local":{"zone":"UTC"`, `"instrument":"` + f.Piano + `"`}, AfterTestFunc: countLessons(3)},
		{Name: "admin: conflict → 409 with alternatives", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA2, 10*time.Minute, 30, "")), ExpectedStatus: 409, ExpectedContent: []string{`"status":409`, `"teacher":{"code":"teacher_busy"`, `"alternatives":[{`}, AfterTestFunc: countLessons(2)},
		{Name: "parent may not schedule", Method: http.MethodPost, URL: url, Headers: auth(f.ParentA), Body: strings.NewReader(lessonJSON(f, f.StudentA1, time.Hour, 30, "")), ExpectedStatus: 403, AfterTestFunc: countLessons(2), ExpectedContent: []string{`"status":403`}},
		{Name: "four wrong fields are named at once, nothing is written", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(`{"teacher":"` + f.TeacherX + `","student":7,"room":"nosuchroom0001","start":"2026-02-30T10:00","minutes":500}`), ExpectedStatus: 400, ExpectedContent: []string{`"student":{"code":"validation_invalid_type"`, `"room":{"code":"validation_unknown_record"`, `"start":{"code":"validation_invalid_datetime"`, `"minutes":{"code":"validation_max_less_equal_than_required"`}, AfterTestFunc: countLessons(2)},
		{Name: "teacher may not schedule", Method: http.MethodPost, URL: url, Headers: auth(f.TeacherXUser), Body: strings.NewReader(lessonJSON(f, f.StudentA1, time.Hour, 30, "")), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: countLessons(2)},
		{Name: "series with no occurrence: 400, nothing written", Method: http.MethodPost, URL: url, Headers: auth(f.Admin), Body: strings.NewReader(lessonJSON(f, f.StudentA2, time.Hour, 30, `,"recurrence":{"rrule":"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"}`)), ExpectedStatus: 400, ExpectedContent: []string{`"recurrence.rrule":{"code":"validation_invalid_recurrence"`}, AfterTestFunc: countLessons(2)},
		{
			Name: "series dry run writes nothing", Method: http.MethodPost, URL: url, Headers: auth(f.Admin),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA2, time.Hour, 30, `,"dry_run":true,"recurrence":{"count":6}`)),
			ExpectedStatus: 200, ExpectedContent: []string{`"dry_run":true`, `"status":"created"`}, AfterTestFunc: countLessons(2), TestAppFactory: testapp.Factory,
		},
		{
			// Week 5 of a weekly series from the fixture Monday falls in teacher
			// X's time off (a month ahead); the other five are created.
			Name: "series commit skips what does not fit", Method: http.MethodPost, URL: url, Headers: auth(f.Admin),
			Body:           strings.NewReader(lessonJSON(f, f.StudentA2, time.Hour, 30, `,"recurrence":{"count":6}`)),
			ExpectedStatus: 201, ExpectedContent: []string{`"series":"`, `"status":"skipped"`, `"reason":"teacher_time_off"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				var body struct {
					Series  string
					Lessons []struct{ Series string }
				}
				decode(t, res, &body)
				if len(body.Lessons) != 5 || body.Lessons[0].Series != body.Series {
					t.Fatalf("created %d lessons: %+v", len(body.Lessons), body)
				}
				countLessons(7)(t, app, res)
			},
		},
	}
	apiParallel(t, scenarios)
}

func TestListLessonsAndScheduleView(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	date := monday().Format(time.DateOnly)
	scenarios := []tests.ApiScenario{
		{Name: "parent A sees its family's lesson only", Method: http.MethodGet, URL: "/api/v1/lessons", Headers: auth(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.LessonA1 + `"`, `"totalItems":1`}, NotExpectedContent: []string{f.LessonB1}},
		{Name: "teacher Y sees its lesson only", Method: http.MethodGet, URL: "/api/v1/lessons", Headers: auth(f.TeacherYUser), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.LessonB1 + `"`}, NotExpectedContent: []string{f.LessonA1}},
		{Name: "parent A filtering on B's student gets nothing", Method: http.MethodGet, URL: "/api/v1/lessons?student=" + f.StudentB1, Headers: auth(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "admin date range", Method: http.MethodGet, URL: "/api/v1/lessons?from=" + date + "&to=" + monday().AddDate(0, 0, 1).Format(time.DateOnly), Headers: auth(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{f.LessonA1}, NotExpectedContent: []string{f.LessonB1}},
		{Name: "inverted range", Method: http.MethodGet, URL: "/api/v1/lessons?from=2026-03-02&to=2026-03-01", Headers: auth(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_range"`}},
		{Name: "bad status", Method: http.MethodGet, URL: "/api/v1/lessons?status=maybe", Headers: auth(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_in_invalid"`}},
		{Name: "anonymous", Method: http.MethodGet, URL: "/api/v1/lessons", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{
			Name: "week view groups by local day", Method: http.MethodGet, URL: "/api/v1/lessons/schedule/view?view=week&date=" + date, Headers: auth(f.Admin),
			ExpectedStatus: 200, ExpectedContent: []string{`"view":"week"`, `"from":"` + date + `"`, `"weekday":"Monday"`, f.LessonA1, f.LessonB1},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var body struct {
					Days []struct {
						Date    string
						Lessons []struct{ Id string }
					}
				}
				decode(t, res, &body)
				if len(body.Days) != 7 || len(body.Days[0].Lessons) != 1 || body.Days[0].Lessons[0].Id != f.LessonA1 || len(body.Days[2].Lessons) != 1 {
					t.Fatalf("days = %+v", body.Days)
				}
			},
		},
		{Name: "parent B's month view holds only its lesson", Method: http.MethodGet, URL: "/api/v1/lessons/schedule/view?view=month&date=" + date, Headers: auth(f.ParentB), ExpectedStatus: 200, ExpectedContent: []string{`"view":"month"`}, NotExpectedContent: []string{f.LessonA1}},
		{Name: "teacher filter", Method: http.MethodGet, URL: "/api/v1/lessons/schedule/view?date=" + date + "&teacher=" + f.TeacherY, Headers: auth(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{f.LessonB1}, NotExpectedContent: []string{f.LessonA1}},
		{Name: "bad view", Method: http.MethodGet, URL: "/api/v1/lessons/schedule/view?view=year", Headers: auth(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"view":{"code":"validation_in_invalid"`}},
		{Name: "bad date", Method: http.MethodGet, URL: "/api/v1/lessons/schedule/view?date=03/02/2026", Headers: auth(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"date":{"code":"validation_invalid_date"`}},
	}
	apiParallel(t, scenarios)
}

func TestPublicTimeslots(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	date := monday().Format(time.DateOnly)
	url := "/api/v1/public/timeslots?instrument=" + f.Piano + "&from=" + date + "&to=" + date
	scenarios := []tests.ApiScenario{
		{
			Name: "Monday piano slots avoid A1 and its buffer", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`"local_start":"15:00"`, `"local_start":"17:00"`, `"teacher_name":"Xavier Xu"`},
			NotExpectedContent: []string{`"local_start":"15:30"`, `"local_start":"16:00"`, `"local_start":"16:30"`, f.StudentA1, f.LessonA1, "student"},
			TestAppFactory:     testapp.Factory,
		},
		{Name: "a length the teacher does not offer", Method: http.MethodGet, URL: url + "&minutes=90", ExpectedStatus: 200, ExpectedContent: []string{`"slots":[]`}},
		{Name: "range over the cap", Method: http.MethodGet, URL: "/api/v1/public/timeslots?instrument=" + f.Piano + "&from=2026-01-01&to=2026-03-01", ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_range_too_long"`}},
		{Name: "inverted range", Method: http.MethodGet, URL: "/api/v1/public/timeslots?instrument=" + f.Piano + "&from=2026-03-02&to=2026-03-01", ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_range"`}},
		{Name: "missing instrument and dates", Method: http.MethodGet, URL: "/api/v1/public/timeslots", ExpectedStatus: 400, ExpectedContent: []string{`"instrument":{"code":"validation_required"`, `"from":{"code":"validation_required"`}},
		{Name: "unknown teacher", Method: http.MethodGet, URL: url + "&teacher=nosuchteacher01", ExpectedStatus: 400, ExpectedContent: []string{`"teacher":{"code":"validation_unknown_record"`}},
		{Name: "hidden teacher is not offered", Method: http.MethodGet, URL: url + "&teacher=" + f.TeacherHidden, ExpectedStatus: 400, ExpectedContent: []string{`"teacher"`}},
		{Name: "inactive instrument", Method: http.MethodGet, URL: "/api/v1/public/timeslots?instrument=" + f.Theremin + "&from=" + date + "&to=" + date, ExpectedStatus: 400, ExpectedContent: []string{`"instrument":{"code":"validation_unknown_record"`}},
	}
	apiParallel(t, scenarios)
}

func TestCancelAndMakeup(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	call := func(method, path string, who testapp.Account, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", who.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	// Another family cannot even see the lesson.
	if code, _ := call(http.MethodPost, "/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentB, ""); code != 404 {
		t.Fatalf("parent B cancel: %d", code)
	}
	// A make-up without a credit is refused.
	if code, body := call(http.MethodPost, "/api/v1/lessons", f.Admin, lessonJSON(f, f.StudentA1, 2*time.Hour, 30, `,"kind":"makeup"`)); code != 409 || !strings.Contains(fmt.Sprint(body), "no_makeup_credit") {
		t.Fatalf("make-up without credit: %d %v", code, body)
	}
	// The family cancels a week ahead: a credit with the policy's reason.
	code, body := call(http.MethodPost, "/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentA, "")
	if code != 200 || !strings.Contains(fmt.Sprint(body), "make-up credit: cancelled") {
		t.Fatalf("parent A cancel: %d %v", code, body)
	}
	credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", f.LessonA1)
	if err != nil || credit.GetString("student") != f.StudentA1 || credit.GetDateTime("expires").IsZero() {
		t.Fatalf("credit: %v %v", credit, err)
	}
	// The cancelled slot is free again, and the make-up spends the credit.
	code, body = call(http.MethodPost, "/api/v1/lessons", f.Admin, lessonJSON(f, f.StudentA1, 0, 30, `,"kind":"makeup"`))
	if code != 201 {
		t.Fatalf("make-up: %d %v", code, body)
	}
	credit = testapp.Record(t, app, "makeup_credits", credit.Id)
	if credit.GetString("used_by") != body["id"] {
		t.Fatalf("credit not spent: %v", credit)
	}
	// Cancelling twice is refused.
	if code, _ := call(http.MethodPost, "/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentA, ""); code != 400 {
		t.Fatalf("second cancel: %d", code)
	}

	// A late cancellation earns nothing: raise the notice above a week.
	settings, _ := app.FindFirstRecordByFilter("academy", "")
	settings.Set("cancellation_notice_hours", 720)
	if err := app.Save(settings); err != nil {
		t.Fatal(err)
	}
	code, body = call(http.MethodPost, "/api/v1/lessons/"+f.LessonB1+"/cancel", f.ParentB, `{"cancelled_by":"family"}`)
	if code != 200 || !strings.Contains(fmt.Sprint(body), "no make-up credit: late cancellation") {
		t.Fatalf("late cancel: %d %v", code, body)
	}
	if _, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", f.LessonB1); err == nil {
		t.Fatal("late cancellation got a credit")
	}
	// A parent may not pretend the academy cancelled.
	if code, _ := call(http.MethodPost, "/api/v1/lessons/"+body["lessons"].([]any)[0].(map[string]any)["id"].(string)+"/cancel", f.ParentB, `{"cancelled_by":"academy"}`); code != 400 && code != 403 {
		t.Fatalf("parent as academy: %d", code)
	}
}

func TestMoveSeriesAndClosure(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	post := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", f.Admin.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	code, created := post(http.MethodPost, "/api/v1/lessons", lessonJSON(f, f.StudentA2, time.Hour, 30, `,"recurrence":{"count":3}`))
	if code != 201 {
		t.Fatalf("series: %d %v", code, created)
	}
	lessons := created["lessons"].([]any)
	second := lessons[1].(map[string]any)["id"].(string)

	// Move the second and the following from 17:00 to 18:00.
	code, moved := post(http.MethodPatch, "/api/v1/lessons/"+second+"?scope=following", fmt.Sprintf(`{"start":%q}`, monday().AddDate(0, 0, 7).Add(2*time.Hour).Format(time.RFC3339)))
	if code != 200 {
		t.Fatalf("move: %d %v", code, moved)
	}
	if got := len(moved["lessons"].([]any)); got != 2 {
		t.Fatalf("moved %d lessons", got)
	}
	for _, l := range moved["lessons"].([]any) {
		if local := l.(map[string]any)["local"].(map[string]any); local["start"] != "18:00" {
			t.Fatalf("moved lesson at %v", local)
		}
	}
	first := testapp.Record(t, app, "lessons", lessons[0].(map[string]any)["id"].(string))
	if first.GetDateTime("start").Time().Hour() != 17 {
		t.Fatalf("first lesson moved too: %s", first.GetDateTime("start"))
	}
	// Moving onto A1 is a 409.
	if code, _ := post(http.MethodPatch, "/api/v1/lessons/"+first.Id, fmt.Sprintf(`{"start":%q}`, at(0))); code != 409 {
		t.Fatalf("move onto A1: %d", code)
	}
	if code, _ := post(http.MethodPatch, "/api/v1/lessons/"+first.Id+"?scope=all", `{}`); code != 400 {
		t.Fatalf("bad scope: %d", code)
	}

	// A closure over the fixture Monday cancels A1 and the series' first lesson.
	closures, _ := app.FindCollectionByNameOrId("closures")
	c := core.NewRecord(closures)
	c.Set("name", "Snow day")
	c.Set("start", monday().Add(-16*time.Hour))
	c.Set("end", monday().Add(8*time.Hour))
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.LessonA1, first.Id} {
		l := testapp.Record(t, app, "lessons", id)
		if l.GetString("status") != "cancelled" || l.GetString("cancelled_by") != "academy" {
			t.Fatalf("lesson %s: %s by %s", id, l.GetString("status"), l.GetString("cancelled_by"))
		}
		if _, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", id); err != nil {
			t.Fatalf("no credit for %s", id)
		}
	}
	report := testapp.Record(t, app, "closures", c.Id).GetString("cancelled_lessons")
	if !strings.Contains(report, f.LessonA1) || !strings.Contains(report, first.Id) {
		t.Fatalf("closure report: %s", report)
	}
}
