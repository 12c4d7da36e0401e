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
	s, err := For(app).At(app)
	if err != nil {
		return academy.Settings{}, err
	}
	return s.Settings()
}

// Calendars answers what lessons.LoadCalendars answers, with the teachers'
// profiles, windows, time off and the closures kept per counter value and
// only the lessons around the span read afresh.
func (c *Cache) Calendars(app core.App, settings academy.Settings, scope lessons.CalendarScope) (map[string]scheduling.Calendar, error) {
	s, err := c.At(app)
	if err != nil {
		return nil, err
	}
	return s.Calendars(settings, scope)
}

// Calendars is Cache.Calendars at the snapshot's counter value.
func (s *Snapshot) Calendars(settings academy.Settings, scope lessons.CalendarScope) (map[string]scheduling.Calendar, error) {
	ids := slices.Clone(scope.Teachers)
	slices.Sort(ids)
	teachers, err := ValueAt(s, "teachers:"+strings.Join(ids, ","), func() (map[string]scheduling.Teacher, error) {
		return lessons.LoadTeachers(s.app, ids)
	})
	if err != nil {
		return nil, err
	}
	closures, err := ValueAt(s, "closures", func() ([]scheduling.Interval, error) { return lessons.LoadClosures(s.app) })
	if err != nil {
		return nil, err
	}
	return lessons.CalendarsFrom(s.app, settings, scope, teachers, closures)
}
