package lessons_test

import (
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/internal/testapp"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// TestKeptStatementsReadWhatTheCallerSees: the calendar's statements are
// kept prepared outside transactions; a kept one still reads rows
// committed since, and inside a transaction the calendar reads the
// transaction's own uncommitted rows (the write path's check depends on
// it), whatever was kept.
func TestKeptStatementsReadWhatTheCallerSees(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	start := testapp.NextMonday().AddDate(0, 0, 21)
	scope := lessons.CalendarScope{Teachers: []string{f.TeacherX}, Student: f.StudentA1,
		Span: scheduling.Interval{Start: start, End: start.Add(2 * time.Hour)}}
	count := func(app core.App) int {
		t.Helper()
		cals, err := lessons.LoadCalendars(app, settings, scope)
		if err != nil {
			t.Fatal(err)
		}
		return len(cals[f.TeacherX].Bookings)
	}
	insert := func(app core.App, id string, at time.Time) {
		t.Helper()
		_, err := app.DB().NewQuery("INSERT INTO lessons (id, teacher, student, start, end, status, kind) VALUES ({:id}, {:teacher}, {:student}, {:start}, {:end}, 'scheduled', 'regular')").
			Bind(dbx.Params{"id": id, "teacher": f.TeacherX, "student": f.StudentA2,
				"start": at.UTC().Format("2006-01-02 15:04:05.000Z"), "end": at.Add(30 * time.Minute).UTC().Format("2006-01-02 15:04:05.000Z")}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}

	before := count(app)
	count(app) // kept now
	insert(app, "keptstmtrow0001", start)
	if got := count(app); got != before+1 {
		t.Fatalf("after a committed lesson: %d bookings, want %d", got, before+1)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		insert(tx, "keptstmtrow0002", start.Add(time.Hour))
		if got := count(tx); got != before+2 {
			t.Errorf("inside the transaction: %d bookings, want %d (its own lesson included)", got, before+2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
