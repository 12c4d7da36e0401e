package lessons

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// calendar_parts.go loads a calendar in two halves for the read-only
// routes, which keep the first in the free-time cache (freetime/): what does
// not depend on the span (the teacher's profile, windows and every time off;
// the closures) and the lessons around the span, read afresh each time.
// LoadCalendars, which the write path uses, reads all of it at once.

// LoadTeachers returns each existing teacher's profile, weekly windows and
// every time off.
func LoadTeachers(app core.App, ids []string) (map[string]scheduling.Teacher, error) {
	if len(ids) == 0 {
		return map[string]scheduling.Teacher{}, nil
	}
	teachers, _, err := loadProfiles(app, ids, "", "")
	return teachers, err
}

// LoadClosures returns every closure.
func LoadClosures(app core.App) ([]scheduling.Interval, error) {
	rows, err := app.FindAllRecords("closures")
	if err != nil {
		return nil, err
	}
	out := make([]scheduling.Interval, 0, len(rows))
	for _, c := range rows {
		out = append(out, recordSpan(c))
	}
	return out, nil
}

// CalendarsFrom puts loaded halves together: for each teacher in teachers,
// its calendar for scope with the lessons around scope's span read now, as
// LoadCalendars would answer.
func CalendarsFrom(app core.App, settings academy.Settings, scope CalendarScope, teachers map[string]scheduling.Teacher,
	closures []scheduling.Interval) (map[string]scheduling.Calendar, error) {
	out := make(map[string]scheduling.Calendar, len(teachers))
	if len(scope.Teachers) == 0 {
		return out, nil
	}
	bookings, shared, err := loadBookings(app, settings, scope)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for _, id := range scope.Teachers {
		t, ok := teachers[id]
		if !ok {
			continue
		}
		out[id] = scheduling.Calendar{Zone: settings.Zone, Buffer: settings.Buffer, Now: now, Closures: closures,
			Bookings: append(bookings[id], shared...), Teacher: t}
	}
	return out, nil
}

// loadBookings reads the lessons that may touch scope's span: the
// teachers' own by teacher, and the student's and the room's (with any
// teacher) apart.
func loadBookings(app core.App, settings academy.Settings, scope CalendarScope) (map[string][]scheduling.Booking, []scheduling.Booking, error) {
	// The lower bound on start (no lesson is longer than MaxLength)
	// keeps the (teacher|student|room, start) index ranges tight; without
	// it SQLite walks every earlier lesson of the teacher.
	params := dbx.Params{
		"from":     dbTime(scope.Span.Start.Add(-settings.Buffer)),
		"to":       dbTime(scope.Span.End.Add(settings.Buffer)),
		"earliest": dbTime(scope.Span.Start.Add(-settings.Buffer - MaxLength)),
	}
	holders := make([]string, len(scope.Teachers))
	for i, id := range scope.Teachers {
		name := fmt.Sprintf("t%d", i)
		holders[i] = "{:" + name + "}"
		params[name] = id
	}
	// Only non-empty terms: `room = ''` would match every roomless lesson
	// and turn the index lookup into a scan.
	who := "[[teacher]] IN (" + strings.Join(holders, ", ") + ")"
	if scope.Student != "" {
		who += " OR [[student]] = {:student}"
		params["student"] = scope.Student
	}
	if scope.Room != "" {
		who += " OR [[room]] = {:room}"
		params["room"] = scope.Room
	}
	// Plain rows, not records: a month of a busy academy is thousands of
	// lessons and only these columns matter here.
	var rows []lessonRow
	err := queryAll(app, "SELECT [[id]], [[teacher]], [[student]], [[room]], [[start]], [[end]] FROM `lessons` WHERE ("+who+")"+
		" AND ([[status]] != 'cancelled' AND [[start]] >= {:earliest} AND [[start]] < {:to} AND [[end]] > {:from})",
		params, &rows, len(scope.Teachers) <= maxKeptTeachers)
	if err != nil {
		return nil, nil, err
	}
	bookings := map[string][]scheduling.Booking{}
	var shared []scheduling.Booking
	for _, l := range rows {
		b := l.booking()
		if (scope.Student != "" && b.Student == scope.Student) || (scope.Room != "" && b.Room == scope.Room) {
			shared = append(shared, b)
		} else {
			bookings[b.Teacher] = append(bookings[b.Teacher], b)
		}
	}
	return bookings, shared, nil
}
