package lessons

import (
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// calendar.go is the PocketBase glue of the scheduling package: it
// loads the rows around a time span into scheduling.Calendar values. Every
// function takes core.App so a transaction passes its own and the check
// sees what the transaction sees.

// CalendarScope says which lessons matter besides the teachers' own.
type CalendarScope struct {
	Teachers []string
	Student  string
	Room     string
	Span     scheduling.Interval
}

// LoadCalendars returns one calendar per teacher in scope, in two queries
// whatever the number of teachers: the profiles with their windows, time
// off and the closures (calendar_profiles.go), then the lessons.
func LoadCalendars(app core.App, settings academy.Settings, scope CalendarScope) (map[string]scheduling.Calendar, error) {
	out := make(map[string]scheduling.Calendar, len(scope.Teachers))
	if len(scope.Teachers) == 0 {
		return out, nil
	}
	from, to := dbTime(scope.Span.Start.Add(-settings.Buffer)), dbTime(scope.Span.End.Add(settings.Buffer))
	teachers, closures, err := loadProfiles(app, scope.Teachers, from, to)
	if err != nil {
		return nil, err
	}
	if len(teachers) == 0 {
		return out, nil
	}
	bookings, shared, err := loadBookings(app, settings, scope)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for id, t := range teachers {
		out[id] = scheduling.Calendar{Zone: settings.Zone, Buffer: settings.Buffer, Now: now, Closures: closures,
			Bookings: append(bookings[id], shared...), Teacher: t}
	}
	return out, nil
}

// LoadCalendar is LoadCalendars for one teacher; ok is false when the
// teacher does not exist.
func LoadCalendar(app core.App, settings academy.Settings, scope CalendarScope) (scheduling.Calendar, bool, error) {
	cals, err := LoadCalendars(app, settings, scope)
	if err != nil {
		return scheduling.Calendar{}, false, err
	}
	cal, ok := cals[scope.Teachers[0]]
	return cal, ok, nil
}

// lessonRow is the part of a lesson the conflict rules read.
type lessonRow struct {
	Id      string         `db:"id"`
	Teacher string         `db:"teacher"`
	Student string         `db:"student"`
	Room    string         `db:"room"`
	Start   types.DateTime `db:"start"`
	End     types.DateTime `db:"end"`
}

func (l lessonRow) booking() scheduling.Booking {
	return scheduling.Booking{ID: l.Id, Teacher: l.Teacher, Student: l.Student, Room: l.Room,
		Interval: scheduling.Interval{Start: l.Start.Time(), End: l.End.Time()}}
}

func recordSpan(r *core.Record) scheduling.Interval {
	return scheduling.Interval{Start: r.GetDateTime("start").Time(), End: r.GetDateTime("end").Time()}
}

// LessonLengths reads the teacher's offered lengths (a select of "30",
// "45", …) as minutes.
func LessonLengths(teacher *core.Record) []int {
	return lengths(teacher.GetStringSlice("lesson_lengths"))
}

// lengths reads lesson lengths ("30", "45", …) as sorted minutes.
func lengths(values []string) []int {
	var out []int
	for _, s := range values {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// dbTime formats an instant the way PocketBase stores dates, so string
// comparison in SQL orders them correctly.
func dbTime(t time.Time) string {
	return t.UTC().Format(types.DefaultDateLayout)
}

func anySlice[T any](items []T) []any {
	out := make([]any, len(items))
	for i, v := range items {
		out[i] = v
	}
	return out
}

// StudentBookings returns the student's lessons that are not cancelled and
// overlap span: what a calendar adds to a teacher's own lessons for a
// check about this student.
func StudentBookings(app core.App, student string, span scheduling.Interval) ([]scheduling.Booking, error) {
	var rows []lessonRow
	err := queryAll(app, "SELECT [[id]], [[teacher]], [[student]], [[room]], [[start]], [[end]] FROM `lessons`"+
		" WHERE [[student]] = {:student} AND [[status]] != 'cancelled' AND [[start]] >= {:earliest} AND [[start]] < {:to} AND [[end]] > {:from}",
		dbx.Params{"student": student, "from": dbTime(span.Start), "to": dbTime(span.End), "earliest": dbTime(span.Start.Add(-MaxLength))}, &rows, true)
	if err != nil {
		return nil, err
	}
	out := make([]scheduling.Booking, len(rows))
	for i, l := range rows {
		out[i] = l.booking()
	}
	return out, nil
}
