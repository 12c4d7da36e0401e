package lessons_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/academy"
	"cedarheights/internal/testapp"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// TestCalendarQueryReadsOnlyItsIndex: the lessons query of LoadCalendars
// (several teachers and a student over a month) is answered from the
// covering index idx_lessons_teacher_calendar, never by looking lessons up
// in the table: at ten times the seed that is the difference between
// 250–960 ms and 8–26 ms for a month of 200 teachers (issue 14).
func TestCalendarQueryReadsOnlyItsIndex(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	// Capture the SQL LoadCalendars runs, with its values in place.
	var queries []string
	db := app.ConcurrentDB().(*dbx.DB)
	before := db.QueryLogFunc
	db.QueryLogFunc = func(ctx context.Context, d time.Duration, sql string, rows *sql.Rows, err error) {
		queries = append(queries, sql)
	}
	start := time.Now().UTC().AddDate(0, 0, 7)
	_, err = lessons.LoadCalendars(app, settings, lessons.CalendarScope{
		Teachers: []string{f.TeacherX, f.TeacherY}, Student: f.StudentA1,
		Span: scheduling.Interval{Start: start, End: start.AddDate(0, 0, 30)},
	})
	db.QueryLogFunc = before
	if err != nil {
		t.Fatal(err)
	}
	var calendar string
	for _, q := range queries {
		if strings.Contains(q, "FROM `lessons`") {
			calendar = q
		}
	}
	if calendar == "" {
		t.Fatalf("no lessons query among %q", queries)
	}
	var plan []struct {
		Detail string `db:"detail"`
	}
	if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + calendar).All(&plan); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, p := range plan {
		steps = append(steps, p.Detail)
	}
	got := strings.Join(steps, "; ")
	if !strings.Contains(got, "USING COVERING INDEX idx_lessons_teacher_calendar") {
		t.Errorf("the calendar query does not read the covering index:\n%s\nplan: %s", calendar, got)
	}
	if strings.Contains(got, "SCAN lessons") {
		t.Errorf("the calendar query scans lessons: %s", got)
	}
}
