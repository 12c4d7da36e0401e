package freetime

import (
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// Settings is academy.Load, kept per counter value (the academy row is
// watched).
func Settings(app core.App) (academy.Settings, error) {
	return Value(For(app), app, "academy", func() (academy.Settings, error) { return academy.Load(app) })
}

// Calendars answers what lessons.LoadCalendars answers, with the teachers'
// profiles, windows, time off and the closures kept per counter value and
// only the lessons around the span read afresh.
func (c *Cache) Calendars(app core.App, settings academy.Settings, scope lessons.CalendarScope) (map[string]scheduling.Calendar, error) {
	ids := slices.Clone(scope.Teachers)
	slices.Sort(ids)
	teachers, err := Value(c, app, "teachers:"+strings.Join(ids, ","), func() (map[string]scheduling.Teacher, error) {
		return lessons.LoadTeachers(app, ids)
	})
	if err != nil {
		return nil, err
	}
	closures, err := Value(c, app, "closures", func() ([]scheduling.Interval, error) { return lessons.LoadClosures(app) })
	if err != nil {
		return nil, err
	}
	return lessons.CalendarsFrom(app, settings, scope, teachers, closures)
}
