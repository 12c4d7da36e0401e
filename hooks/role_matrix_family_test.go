package hooks_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestRoleMatrixFamilyBookings covers what families may do to the schedule
// themselves (issue 11, item 3), on both paths: book a make-up lesson for
// their own child (spending a credit) and move one of their own lessons.
// Every other lesson write stays the academy's. Each family holds one
// make-up credit. Reading a row: who, path, what, the expected status; the
// database is checked after every row (a refused booking left no lesson and
// the credit unspent; a refused move left the lesson where it was).
func TestRoleMatrixFamilyBookings(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	const creditA, creditB = "familycredita1", "familycreditb1"
	next := testapp.NextMonday().AddDate(0, 0, 7) // a Monday, teacher X's day
	wednesday := next.Add(42 * time.Hour)         // 10:00, teacher Y's day, an hour before LessonB1's week-later twin
	seed := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		c, _ := app.FindCollectionByNameOrId("makeup_credits")
		for id, data := range map[string]map[string]any{
			creditA: {"student": f.StudentA1, "source_lesson": f.LessonA1},
			creditB: {"student": f.StudentB1, "source_lesson": f.LessonB1},
		} {
			r := core.NewRecord(c)
			r.Id = id
			r.Load(data)
			r.Set("reason", "matrix")
			r.Set("expires", next.AddDate(0, 2, 0))
			if err := app.SaveNoValidate(r); err != nil {
				t.Fatal(err)
			}
		}
	}

	type booking = familyBooking
	var (
		aMakeup  = booking{f.TeacherX, f.StudentA1, f.Piano, "makeup"}
		bMakeup  = booking{f.TeacherY, f.StudentB1, f.Violin, "makeup"}
		aRegular = booking{f.TeacherX, f.StudentA1, f.Piano, "regular"}
		aTrial   = booking{f.TeacherX, f.StudentA1, f.Piano, "trial"}
		// A2 is a prospect (not yet active); the deleted child is gone.
		aProspect = booking{f.TeacherY, f.StudentA2, f.Violin, "makeup"}
		aDeleted  = booking{f.TeacherX, f.StudentADeleted, f.Piano, "makeup"}
	)
	startOf := func(b booking) time.Time {
		if b.teacher == f.TeacherY {
			return wednesday
		}
		return next.Add(time.Hour)
	}
	v1Body := func(b booking) string {
		return fmt.Sprintf(`{"teacher":%q,"student":%q,"start":%q,"minutes":30,"kind":%q}`, b.teacher, b.student, startOf(b).Format(time.RFC3339), b.kind)
	}
	recordBody := func(b booking) string {
		return fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"end":%q,"kind":%q,"status":"scheduled"}`,
			b.teacher, b.student, b.instrument, startOf(b).Format(time.RFC3339), startOf(b).Add(30*time.Minute).Format(time.RFC3339), b.kind)
	}
	moveTo := next.Add(time.Hour) // the fixture lessons a week later, an hour later
	moveV1 := fmt.Sprintf(`{"start":%q}`, moveTo.Format(time.RFC3339))
	moveRecord := fmt.Sprintf(`{"start":%q,"end":%q}`, moveTo.Format(time.RFC3339), moveTo.Add(30*time.Minute).Format(time.RFC3339))

	type row struct {
		who    testapp.Account
		method string
		path   string
		body   string
		status int
		book   *booking // a booking row: checks the lesson and the credit after
		lesson string   // a move row: the lesson moved (or not)
	}
	anon := testapp.Account{}
	const records, v1 = "/api/collections/lessons/records", "/api/v1/lessons"
	book := func(who testapp.Account, b booking, v1Status, recordStatus int) []row {
		return []row{
			{who, http.MethodPost, v1, v1Body(b), v1Status, &b, ""},
			{who, http.MethodPost, records, recordBody(b), recordStatus, &b, ""},
		}
	}
	move := func(who testapp.Account, lesson string, v1Status, recordStatus int) []row {
		return []row{
			{who, http.MethodPatch, v1 + "/" + lesson, moveV1, v1Status, nil, lesson},
			{who, http.MethodPatch, records + "/" + lesson, moveRecord, recordStatus, nil, lesson},
		}
	}
	var rows []row
	for _, group := range [][]row{
		// Book a make-up: a family for its own child, with a credit; the
		// record API answers a CreateRule refusal with 400, /api/v1 with
		// 403 (an unknown or hidden student is a 400 naming the field).
		book(anon, aMakeup, 401, 400),
		book(f.ParentA, aMakeup, 201, 200),
		book(f.ParentA, bMakeup, 400, 400),
		book(f.ParentA, aRegular, 403, 400),
		book(f.ParentA, aTrial, 403, 400),
		book(f.ParentA, aProspect, 403, 400),
		book(f.ParentA, aDeleted, 400, 400),
		book(f.ParentB, bMakeup, 201, 200),
		book(f.ParentB, aMakeup, 400, 400),
		book(f.TeacherXUser, aMakeup, 403, 400),
		book(f.TeacherYUser, bMakeup, 403, 400),
		book(f.Admin, aMakeup, 201, 200),
		book(f.Admin, aRegular, 201, 200),

		// Move a lesson: a family its own (notice and length are the
		// guard's, tested in lessons/), the academy any; a teacher records
		// attendance but does not reschedule.
		move(anon, f.LessonA1, 401, 404),
		move(f.ParentA, f.LessonA1, 200, 200),
		move(f.ParentA, f.LessonB1, 404, 404),
		move(f.ParentB, f.LessonA1, 404, 404),
		move(f.TeacherXUser, f.LessonA1, 403, 404),
		move(f.Admin, f.LessonA1, 200, 200),
		{
			// …one lesson at a time, and only its time.
			{f.ParentA, http.MethodPatch, v1 + "/" + f.LessonA1 + "?scope=following", moveV1, 403, nil, f.LessonA1},
			{f.ParentA, http.MethodPatch, v1 + "/" + f.LessonA1, fmt.Sprintf(`{"start":%q,"teacher":%q}`, moveTo.Format(time.RFC3339), f.TeacherY), 403, nil, f.LessonA1},
			{f.ParentA, http.MethodPatch, records + "/" + f.LessonA1, strings.TrimSuffix(moveRecord, "}") + `,"room":""}`, 404, nil, f.LessonA1},
			{f.ParentA, http.MethodPatch, records + "/" + f.LessonA1, strings.TrimSuffix(moveRecord, "}") + `,"kind":"makeup"}`, 404, nil, f.LessonA1},
			{f.ParentA, http.MethodPatch, records + "/" + f.LessonA1, `{"teacher_notes":"forged"}`, 404, nil, f.LessonA1},
		},
	} {
		rows = append(rows, group...)
	}

	scenarios := make([]tests.ApiScenario, 0, len(rows))
	for _, r := range rows {
		headers := map[string]string{}
		if r.who.Token != "" {
			headers["Authorization"] = r.who.Token
		}
		name := r.who.Email
		if name == "" {
			name = "anonymous"
		}
		var before string
		s := tests.ApiScenario{
			Name:   fmt.Sprintf("%s %s %s %s", name, r.method, r.path, r.body),
			Method: r.method, URL: r.path, Body: strings.NewReader(r.body), Headers: headers,
			ExpectedStatus:  r.status,
			ExpectedContent: []string{`"`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				if r.lesson != "" {
					before = matrixSnapshot(t, app, "lessons", r.lesson)
				}
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ok := r.status < 300
				if r.book != nil {
					checkFamilyBooking(t, app, *r.book, startOf(*r.book), ok, map[string]string{f.StudentA1: creditA, f.StudentB1: creditB})
				}
				if r.lesson != "" {
					start := testapp.Record(t, app, "lessons", r.lesson).GetDateTime("start").Time()
					if ok && !start.Equal(moveTo) {
						t.Errorf("accepted move left the lesson at %v", start)
					}
					if after := matrixSnapshot(t, app, "lessons", r.lesson); !ok && after != before {
						t.Errorf("refused move changed the lesson:\nbefore %s\nafter  %s", before, after)
					}
				}
			},
		}
		scenarios = append(scenarios, s)
	}
	// The refused rows share one seeded clone: each is held to changing
	// nothing, and checks its own lesson and credits after.
	apiSeeded(t, seed, scenarios)
}

type familyBooking struct{ teacher, student, instrument, kind string }

// checkFamilyBooking: an accepted make-up booking stored one lesson and
// spent the student's credit on it; a refused one stored nothing and left
// the credit alone. Regular and trial lessons spend no credit.
func checkFamilyBooking(t testing.TB, app core.App, b familyBooking, start time.Time, ok bool, credits map[string]string) {
	t.Helper()
	booked, err := app.FindAllRecords("lessons", dbx.HashExp{"teacher": b.teacher, "student": b.student, "start": start.UTC().Format("2006-01-02 15:04:05.000Z")})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[bool]int{true: 1, false: 0}[ok]; len(booked) != want {
		t.Fatalf("%d lessons stored at %v, want %d", len(booked), start, want)
	}
	if credits[b.student] == "" {
		return // a student without a credit
	}
	used := testapp.Record(t, app, "makeup_credits", credits[b.student]).GetString("used_by")
	switch {
	case ok && b.kind == "makeup" && used != booked[0].Id:
		t.Errorf("the credit is used by %q, want the new lesson %s", used, booked[0].Id)
	case (!ok || b.kind != "makeup") && used != "":
		t.Errorf("the credit was spent on %q", used)
	}
}
