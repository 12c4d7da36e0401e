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

// LoadCalendars returns one calendar per teacher in scope, in five queries
// whatever the number of teachers.
func LoadCalendars(app core.App, settings academy.Settings, scope CalendarScope) (map[string]scheduling.Calendar, error) {
	out := make(map[string]scheduling.Calendar, len(scope.Teachers))
	if len(scope.Teachers) == 0 {
		return out, nil
	}
	ids := anySlice(scope.Teachers)
	from, to := dbTime(scope.Span.Start.Add(-settings.Buffer)), dbTime(scope.Span.End.Add(settings.Buffer))

	teachers, err := app.FindRecordsByIds("teachers", scope.Teachers)
	if err != nil {
		return nil, err
	}
	windows, err := app.FindAllRecords("availability", dbx.In("teacher", ids...))
	if err != nil {
		return nil, err
	}
	timeOff, err := app.FindAllRecords("time_off", dbx.In("teacher", ids...),
		dbx.NewExp("[[start]] < {:to} AND [[end]] > {:from}", dbx.Params{"from": from, "to": to}))
	if err != nil {
		return nil, err
	}
	closureRows, err := app.FindAllRecords("closures",
		dbx.NewExp("[[start]] < {:to} AND [[end]] > {:from}", dbx.Params{"from": from, "to": to}))
	if err != nil {
		return nil, err
	}
	// Only non-empty terms: `room = ''` would match every roomless lesson
	// and turn the index lookup into a scan.
	terms := []dbx.Expression{dbx.In("teacher", ids...)}
	if scope.Student != "" {
		terms = append(terms, dbx.HashExp{"student": scope.Student})
	}
	if scope.Room != "" {
		terms = append(terms, dbx.HashExp{"room": scope.Room})
	}
	who := dbx.Or(terms...)
	// Plain rows, not records: a month of a busy academy is thousands of
	// lessons and only these columns matter here.
	var lessons []lessonRow
	// The lower bound on start (no lesson is longer than MaxLength)
	// keeps the (teacher|student|room, start) index ranges tight; without
	// it SQLite walks every earlier lesson of the teacher.
	earliest := dbTime(scope.Span.Start.Add(-settings.Buffer - MaxLength))
	err = app.DB().Select("id", "teacher", "student", "room", "start", "end").From("lessons").
		Where(who).
		AndWhere(dbx.NewExp("[[status]] != 'cancelled' AND [[start]] >= {:earliest} AND [[start]] < {:to} AND [[end]] > {:from}",
			dbx.Params{"from": from, "to": to, "earliest": earliest})).
		All(&lessons)
	if err != nil {
		return nil, err
	}

	closures := make([]scheduling.Interval, 0, len(closureRows))
	for _, c := range closureRows {
		closures = append(closures, recordSpan(c))
	}
	bookings := map[string][]scheduling.Booking{}
	var shared []scheduling.Booking // the student's and the room's, with any teacher
	for _, l := range lessons {
		b := l.booking()
		if (scope.Student != "" && b.Student == scope.Student) || (scope.Room != "" && b.Room == scope.Room) {
			shared = append(shared, b)
		} else {
			bookings[b.Teacher] = append(bookings[b.Teacher], b)
		}
	}
	now := time.Now().UTC()
	for _, t := range teachers {
		cal := scheduling.Calendar{Zone: settings.Zone, Buffer: settings.Buffer, Now: now, Closures: closures,
			Bookings: append(bookings[t.Id], shared...)}
		cal.Teacher = scheduling.Teacher{ID: t.Id, Instruments: t.GetStringSlice("instruments"), Lengths: LessonLengths(t)}
		for _, w := range windows {
			if w.GetString("teacher") == t.Id {
				cal.Teacher.Availability = append(cal.Teacher.Availability, weeklyWindow(w))
			}
		}
		for _, o := range timeOff {
			if o.GetString("teacher") == t.Id {
				cal.Teacher.TimeOff = append(cal.Teacher.TimeOff, recordSpan(o))
			}
		}
		out[t.Id] = cal
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

func weeklyWindow(r *core.Record) scheduling.WeeklyWindow {
	start, _ := scheduling.ParseClock(r.GetString("start_time"))
	end, _ := scheduling.ParseClock(r.GetString("end_time"))
	return scheduling.WeeklyWindow{
		Weekday:   time.Weekday(r.GetInt("weekday")),
		Start:     start,
		End:       end,
		ValidFrom: r.GetDateTime("valid_from").Time(),
		ValidTo:   r.GetDateTime("valid_to").Time(),
	}
}

// LessonLengths reads the teacher's offered lengths (a select of "30",
// "45", …) as minutes.
func LessonLengths(teacher *core.Record) []int {
	var out []int
	for _, s := range teacher.GetStringSlice("lesson_lengths") {
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
	err := app.DB().Select("id", "teacher", "student", "room", "start", "end").From("lessons").
		Where(dbx.HashExp{"student": student}).
		AndWhere(dbx.NewExp("[[status]] != 'cancelled' AND [[start]] >= {:earliest} AND [[start]] < {:to} AND [[end]] > {:from}",
			dbx.Params{"from": dbTime(span.Start), "to": dbTime(span.End), "earliest": dbTime(span.Start.Add(-MaxLength))})).
		All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]scheduling.Booking, len(rows))
	for i, l := range rows {
		out[i] = l.booking()
	}
	return out, nil
}
