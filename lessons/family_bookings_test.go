package lessons_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// family_bookings_test.go: what the guard adds to the rules when a family
// books a make-up or moves its lesson (who may at all is the role matrix's,
// hooks/role_matrix_family_test.go). Each case runs on a fresh app, on the
// record API and on /api/v1, and checks that a refusal names its field and
// leaves the database as it was. Refusals of one group take turns on one
// app instead, set up once: a refusal writes nothing, the check after each
// proves it, and a write committed during one fails it.

// familyCase is one request of parent A; want is the status and the
// field error it must carry ("" for a success or a bare rule refusal).
type familyCase struct {
	name   string
	setup  func(t *testing.T, app core.App, f *testapp.Fixtures) string // returns the lesson a move is about
	method string
	path   func(f *testapp.Fixtures, lesson string) string
	body   func(f *testapp.Fixtures, lesson string) string
	status int
	want   string // e.g. `"kind":{"code":"no_makeup_credit"`
	group  string // refusals with the same group (and the same setup) share an app
}

// familyApp is an app, served, with its case's setup done.
type familyApp struct {
	app    core.App
	url    string
	lesson string
	watch  *testapp.WriteWatch // shared apps only
}

func newFamilyApp(t *testing.T, f *testapp.Fixtures, setup func(*testing.T, core.App, *testapp.Fixtures) string) *familyApp {
	app, _ := testapp.New(t)
	a := &familyApp{app: app, url: testapp.Serve(t, app).URL}
	if setup != nil {
		a.lesson = setup(t, app, f)
	}
	return a
}

func runFamilyCases(t *testing.T, cases []familyCase, check func(t *testing.T, app core.App, f *testapp.Fixtures, c familyCase, lesson string)) {
	f := testapp.Get(t)
	shared := map[string]*familyApp{}
	for _, c := range cases {
		if c.group != "" && c.status >= 400 && shared[c.group] == nil {
			a := newFamilyApp(t, f, c.setup)
			a.watch = testapp.WatchWrites(a.app)
			shared[c.group] = a
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := shared[c.group]
			if c.group == "" || c.status < 400 {
				a = newFamilyApp(t, f, c.setup)
			} else {
				a.watch.Changed()
			}
			code, body := lifecycleCall(t, a.url, c.method, c.path(f, a.lesson), f.ParentA.Token, c.body(f, a.lesson))
			if code != c.status || !strings.Contains(body, c.want) {
				t.Errorf("%d %s\nwant %d with %s", code, body, c.status, c.want)
			}
			if a.watch != nil && a.watch.Changed() {
				t.Errorf("a refusal wrote to the app its group shares (last write: %s)", a.watch.Last())
			}
			if t.Failed() {
				t.FailNow()
			}
			check(t, a.app, f, c, a.lesson)
		})
	}
}

// aCredit gives student A1 one make-up credit (a cancelled lesson of teacher
// X, three weeks ahead, with its credit).
func aCredit(t *testing.T, app core.App, f *testapp.Fixtures) string {
	insertLesson(t, app, f, "cancelled", testapp.NextMonday().AddDate(0, 0, 14))
	return ""
}

// makeupAt is a make-up booking for student A1 on both paths: teacher,
// instrument ("" lets /api/v1 choose) and start, plus extra JSON fields.
func makeupAt(teacher func(*testapp.Fixtures) string, instrument func(*testapp.Fixtures) string, start time.Time, minutes int, extra string) (v1, records func(f *testapp.Fixtures, _ string) string) {
	v1 = func(f *testapp.Fixtures, _ string) string {
		body := fmt.Sprintf(`{"teacher":%q,"student":%q,"start":%q,"minutes":%d,"kind":"makeup"%s`, teacher(f), f.StudentA1, start.Format(time.RFC3339), minutes, extra)
		if instrument != nil {
			body += fmt.Sprintf(`,"instrument":%q`, instrument(f))
		}
		return body + "}"
	}
	records = func(f *testapp.Fixtures, _ string) string {
		in := f.Piano
		if instrument != nil {
			in = instrument(f)
		}
		return fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"end":%q,"kind":"makeup","status":"scheduled"%s}`,
			teacher(f), f.StudentA1, in, dbDate(start), dbDate(start.Add(time.Duration(minutes)*time.Minute)), extra)
	}
	return v1, records
}

func TestFamilyBooksMakeup(t *testing.T) {
	t.Parallel()
	x := func(f *testapp.Fixtures) string { return f.TeacherX }
	y := func(f *testapp.Fixtures) string { return f.TeacherY }
	hidden := func(f *testapp.Fixtures) string { return f.TeacherHidden }
	piano := func(f *testapp.Fixtures) string { return f.Piano }
	violin := func(f *testapp.Fixtures) string { return f.Violin }
	free := testapp.NextMonday().AddDate(0, 0, 7).Add(time.Hour) // teacher X, Monday 17:00
	lessonB1 := testapp.NextMonday().Add(43 * time.Hour)         // teacher Y, Wednesday 11:00

	type booking struct {
		name          string
		credit        bool // student A1 holds a make-up credit (aCredit)
		teacher       func(*testapp.Fixtures) string
		instrument    func(*testapp.Fixtures) string
		start         time.Time
		extra         string
		v1Status      int
		v1Want        string
		recordsStatus int
		recordsWant   string
	}
	bookings := []booking{
		{name: "with a credit", credit: true, teacher: x, start: free,
			v1Status: 201, recordsStatus: 200},
		{name: "with another teacher who teaches the instrument", credit: true, teacher: y, start: lessonB1.AddDate(0, 0, 7).Add(-time.Hour),
			v1Status: 201, recordsStatus: 200},
		{name: "without a credit", teacher: x, start: free,
			v1Status: 409, v1Want: `"kind":{"code":"no_makeup_credit"`, recordsStatus: 409, recordsWant: `"kind":{"code":"no_makeup_credit"`},
		{name: "in the past", credit: true, teacher: x, start: testapp.NextMonday().AddDate(0, 0, -14).Add(time.Hour),
			// /api/v1 plans the lesson on the calendar before it writes.
			v1Status: 409, v1Want: `"start":{"code":"in_the_past"`, recordsStatus: 400, recordsWant: `"start":{"code":"lesson_already_started"`},
		{name: "with a teacher who does not teach the instrument", credit: true, teacher: hidden, instrument: piano, start: free,
			v1Status: 409, v1Want: `"instrument":{"code":"instrument_not_taught"`, recordsStatus: 409, recordsWant: `"instrument":{"code":"instrument_not_taught"`},
		{name: "into a taken slot", credit: true, teacher: y, start: lessonB1,
			v1Status: 409, v1Want: `"teacher":{"code":"teacher_busy"`, recordsStatus: 409, recordsWant: `"teacher":{"code":"teacher_busy"`},
		{name: "outside the teacher's hours", credit: true, teacher: x, start: free.Add(-24 * time.Hour),
			v1Status: 409, v1Want: `"teacher":{"code":"outside_availability"`, recordsStatus: 409, recordsWant: `"teacher":{"code":"outside_availability"`},
		// What the rule refuses: 403 on /api/v1, PocketBase's 400 on the record API.
		{name: "on an instrument the child does not play", credit: true, teacher: y, instrument: violin, start: lessonB1.AddDate(0, 0, 7).Add(-time.Hour),
			v1Status: 403, recordsStatus: 400},
		{name: "in a room", credit: true, teacher: x, start: free, extra: `,"room":"` + testapp.Get(t).Room + `"`,
			v1Status: 403, recordsStatus: 400},
	}
	var cases []familyCase
	for _, b := range bookings {
		v1, records := makeupAt(b.teacher, b.instrument, b.start, 30, b.extra)
		var setup func(*testing.T, core.App, *testapp.Fixtures) string
		group := "no credit"
		if b.credit {
			setup, group = aCredit, "a credit"
		}
		cases = append(cases,
			familyCase{name: "v1/" + b.name, setup: setup, group: group, method: http.MethodPost, status: b.v1Status, want: b.v1Want, body: v1,
				path: func(*testapp.Fixtures, string) string { return "/api/v1/lessons" }},
			familyCase{name: "records/" + b.name, setup: setup, group: group, method: http.MethodPost, status: b.recordsStatus, want: b.recordsWant, body: records,
				path: func(*testapp.Fixtures, string) string { return "/api/collections/lessons/records" }},
		)
	}
	// Two credits, so that only the rule can refuse the second lesson.
	twoCredits := func(t *testing.T, app core.App, f *testapp.Fixtures) string {
		insertLesson(t, app, f, "cancelled", testapp.NextMonday().AddDate(0, 0, 21))
		return aCredit(t, app, f)
	}
	weekly := familyCase{name: "v1/a weekly series", setup: twoCredits, method: http.MethodPost, status: 403,
		path: func(*testapp.Fixtures, string) string { return "/api/v1/lessons" }}
	weekly.body, _ = makeupAt(x, nil, free, 30, `,"recurrence":{"count":2}`)
	cases = append(cases, weekly)

	runFamilyCases(t, cases, func(t *testing.T, app core.App, f *testapp.Fixtures, c familyCase, _ string) {
		makeups, err := app.FindAllRecords("lessons", dbx.HashExp{"student": f.StudentA1, "kind": "makeup"})
		if err != nil {
			t.Fatal(err)
		}
		credits, err := app.FindAllRecords("makeup_credits", dbx.HashExp{"student": f.StudentA1})
		if err != nil {
			t.Fatal(err)
		}
		if ok := c.status < 300; ok {
			if len(makeups) != 1 || len(credits) != 1 || credits[0].GetString("used_by") != makeups[0].Id {
				t.Fatalf("%d make-ups, %d credits: the credit is not spent on the lesson", len(makeups), len(credits))
			}
			return
		}
		if len(makeups) != 0 {
			t.Fatalf("a refused booking stored %d make-up lessons", len(makeups))
		}
		for _, credit := range credits {
			if credit.GetString("used_by") != "" {
				t.Fatalf("a refused booking spent the credit on %s", credit.GetString("used_by"))
			}
		}
	})
}

func TestFamilyMovesLesson(t *testing.T) {
	t.Parallel()
	week := testapp.NextMonday().AddDate(0, 0, 7)
	target := week.Add(time.Hour) // Monday 17:00 a week later: free
	fixtureLesson := func(t *testing.T, app core.App, f *testapp.Fixtures) string { return f.LessonA1 }
	// soon is a lesson of A1 five hours from now, inside the academy's
	// 24-hour notice.
	soon := func(t *testing.T, app core.App, f *testapp.Fixtures) string {
		return insertLesson(t, app, f, "scheduled", time.Now().Add(5*time.Hour).Truncate(time.Minute))
	}
	shortNotice := func(t *testing.T, app core.App, f *testapp.Fixtures) string {
		settings, err := app.FindFirstRecordByFilter("academy", "")
		if err != nil {
			t.Fatal(err)
		}
		settings.Set("cancellation_notice_hours", 2)
		if err := app.Save(settings); err != nil {
			t.Fatal(err)
		}
		return soon(t, app, f)
	}
	v1 := func(query string) func(*testapp.Fixtures, string) string {
		return func(_ *testapp.Fixtures, id string) string { return "/api/v1/lessons/" + id + query }
	}
	records := func(_ *testapp.Fixtures, id string) string { return "/api/collections/lessons/records/" + id }
	startAt := func(at time.Time) func(*testapp.Fixtures, string) string {
		return func(*testapp.Fixtures, string) string { return fmt.Sprintf(`{"start":%q}`, at.Format(time.RFC3339)) }
	}
	spanAt := func(at time.Time, minutes int) func(*testapp.Fixtures, string) string {
		return func(*testapp.Fixtures, string) string {
			return fmt.Sprintf(`{"start":%q,"end":%q}`, dbDate(at), dbDate(at.Add(time.Duration(minutes)*time.Minute)))
		}
	}
	const late = `"start":{"code":"lesson_move_too_late","message":"A lesson can be moved up to 24 hours before it starts; this one starts in `
	cases := []familyCase{
		{"v1/a week ahead", fixtureLesson, http.MethodPatch, v1(""), startAt(target), 200, "", "lesson A1"},
		{"records/a week ahead", fixtureLesson, http.MethodPatch, records, spanAt(target, 30), 200, "", "lesson A1"},
		{"v1/inside the notice", soon, http.MethodPatch, v1(""), startAt(target), 400, late, "soon"},
		{"records/inside the notice", soon, http.MethodPatch, records, spanAt(target, 30), 400, late, "soon"},
		{"v1/inside a shorter notice the academy set", shortNotice, http.MethodPatch, v1(""), startAt(target), 200, "", ""},
		{"v1/into the past", fixtureLesson, http.MethodPatch, v1(""), startAt(week.AddDate(0, 0, -21)), 409, `"start":{"code":"in_the_past"`, "lesson A1"},
		{"records/into the past", fixtureLesson, http.MethodPatch, records, spanAt(week.AddDate(0, 0, -21), 30), 409, `"start":{"code":"in_the_past"`, "lesson A1"},
		{"v1/outside the teacher's hours", fixtureLesson, http.MethodPatch, v1(""), startAt(target.Add(24 * time.Hour)), 409, `"teacher":{"code":"outside_availability"`, "lesson A1"},
		{"v1/longer", fixtureLesson, http.MethodPatch, v1(""), func(*testapp.Fixtures, string) string { return `{"minutes":45}` }, 400, `"end":{"code":"lesson_length_is_kept"`, "lesson A1"},
		{"records/longer", fixtureLesson, http.MethodPatch, records, spanAt(target, 45), 400, `"end":{"code":"lesson_length_is_kept"`, "lesson A1"},
		{"v1/this and the following", fixtureLesson, http.MethodPatch, v1("?scope=following"), startAt(target), 403, "", "lesson A1"},
		{"records/a cancelled lesson", func(t *testing.T, app core.App, f *testapp.Fixtures) string {
			return insertLesson(t, app, f, "cancelled", week.AddDate(0, 0, 7))
		}, http.MethodPatch, records, spanAt(target, 30), 404, "", ""},
	}
	runFamilyCases(t, cases, func(t *testing.T, app core.App, f *testapp.Fixtures, c familyCase, lesson string) {
		start := testapp.Record(t, app, "lessons", lesson).GetDateTime("start").Time()
		moved := start.Equal(target)
		if moved != (c.status < 300) {
			t.Fatalf("after %d the lesson starts %v", c.status, start)
		}
	})

	// The academy moves the same late lesson: the notice binds families.
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	id := soon(t, app, f)
	if code, body := lifecycleCall(t, srv.URL, http.MethodPatch, "/api/v1/lessons/"+id, f.Admin.Token, startAt(target)(f, id)); code != 200 {
		t.Fatalf("the office moves a lesson five hours ahead: %d %s", code, body)
	}
}
