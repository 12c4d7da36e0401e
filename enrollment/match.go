package enrollment

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/lessons"
	"cedarheights/matching"
	"cedarheights/scheduling"
)

// match.go loads the candidates matching/ scores: the active teachers of
// the instrument with their weekly availability, the weekly slots of their
// live enrollments, their time off and load, and the family's other
// children's weekly lessons (siblings).

// TrialLead is how far ahead a matched trial lesson starts at the earliest.
const TrialLead = 24 * time.Hour

// match scores the teachers for in (limit matches; 0: the default).
func match(app core.App, f *facts, in Input, now time.Time, limit int) (matching.Result, error) {
	from := now.Add(TrialLead)
	teachers, err := teachersOf(app, f.instrument.Id, in.Source != SourceAdmin)
	if err != nil {
		return matching.Result{}, err
	}
	cands, closures, err := candidates(app, f, teachers, from)
	if err != nil {
		return matching.Result{}, err
	}
	siblings, err := siblingsOf(app, in.Parent.ID)
	if err != nil {
		return matching.Result{}, err
	}
	req := matching.Request{
		Instrument: f.instrument.Id, Level: in.Student.Level, Minutes: f.minutes,
		Preferred: in.Student.windows(), PreferredTeacher: in.Student.PreferredTeacher, Siblings: siblings,
		From: from, Limit: limit, InstrumentName: f.instrument.GetString("name"), Student: in.Student.FirstName,
	}
	return matching.Find(matching.Academy{Zone: f.settings.Zone, Buffer: f.settings.Buffer, Closures: closures}, req, cands)
}

func candidates(app core.App, f *facts, teachers []*core.Record, from time.Time) ([]matching.Candidate, []scheduling.Interval, error) {
	span := scheduling.Interval{Start: from, End: from.AddDate(0, 0, 7*matching.WeeksAhead)}
	ids := make([]string, len(teachers))
	for i, t := range teachers {
		ids[i] = t.Id
	}
	cals, err := lessons.LoadCalendars(app, f.settings, lessons.CalendarScope{Teachers: ids, Span: span})
	if err != nil {
		return nil, nil, err
	}
	active, err := activeStudents(app, ids)
	if err != nil {
		return nil, nil, err
	}
	booked, err := weeklySlots(app, dbx.In("e.teacher", anySlice(ids)...))
	if err != nil {
		return nil, nil, err
	}
	var closures []scheduling.Interval
	out := make([]matching.Candidate, 0, len(teachers))
	for _, t := range teachers {
		cal := cals[t.Id]
		closures = cal.Closures
		c := matching.Candidate{Teacher: cal.Teacher, Name: t.GetString("display_name"), Levels: t.GetStringSlice("levels"),
			Capacity: t.GetInt("capacity"), Active: active[t.Id]}
		for _, b := range booked {
			if b.teacher == t.Id {
				c.Booked = append(c.Booked, b.window)
			}
		}
		out = append(out, c)
	}
	return out, closures, nil
}

type weeklySlot struct {
	teacher, student, name string
	window                 scheduling.WeeklyWindow
}

// weeklySlots reads the weekly lesson times of live enrollments.
func weeklySlots(app core.App, where dbx.Expression) ([]weeklySlot, error) {
	var rows []struct {
		Teacher   string `db:"teacher"`
		Student   string `db:"student"`
		Name      string `db:"first_name"`
		Weekday   int    `db:"weekday"`
		StartTime string `db:"start_time"`
		Minutes   int    `db:"lesson_minutes"`
	}
	err := app.DB().Select("e.teacher", "e.student", "s.first_name", "e.weekday", "e.start_time", "p.lesson_minutes").
		From("enrollments e").InnerJoin("pricing_plans p", dbx.NewExp("p.id = e.plan")).
		InnerJoin("students s", dbx.NewExp("s.id = e.student")).
		Where(where).AndWhere(dbx.In("e.status", liveStatuses...)).AndWhere(dbx.NewExp("e.start_time != ''")).
		All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]weeklySlot, 0, len(rows))
	for _, r := range rows {
		start, err := scheduling.ParseClock(r.StartTime)
		if err != nil || r.Minutes <= 0 {
			continue
		}
		out = append(out, weeklySlot{teacher: r.Teacher, student: r.Student, name: r.Name,
			window: scheduling.WeeklyWindow{Weekday: time.Weekday(r.Weekday), Start: start, End: start + scheduling.Clock(r.Minutes)}})
	}
	return out, nil
}

// siblingsOf lists the weekly lessons of the family's enrolled children.
func siblingsOf(app core.App, parent string) ([]matching.Sibling, error) {
	if parent == "" {
		return nil, nil
	}
	slots, err := weeklySlots(app, dbx.NewExp("s.parent = {:p} AND s.deleted = ''", dbx.Params{"p": parent}))
	if err != nil {
		return nil, err
	}
	var out []matching.Sibling
	for _, s := range slots {
		if len(out) < matching.MaxSiblings {
			out = append(out, matching.Sibling{Name: s.name, Teacher: s.teacher, Lesson: s.window})
		}
	}
	return out, nil
}

// noTeacherSentence says why no teacher can take the student.
func noTeacherSentence(rejected []matching.Rejection, f *facts) string {
	if len(rejected) == 0 {
		return fmt.Sprintf("No teacher gives %s lessons at the moment.", f.instrument.GetString("name"))
	}
	var parts []string
	for _, r := range rejected {
		var why []string
		for _, reason := range r.Reasons {
			why = append(why, strings.TrimSuffix(reason.Text, "."))
		}
		parts = append(parts, r.Name+": "+strings.Join(why, "; "))
	}
	return "No teacher can take a new student now (" + strings.Join(parts, ". ") + ")."
}

// trialStarts lists the first occurrences of a match's slots, suggested
// first: the trial lessons to try in order.
func trialStarts(m matching.Match, zone *time.Location) []time.Time {
	var out []time.Time
	for _, s := range append([]matching.Slot{m.Suggested}, m.Other...) {
		if !s.First.IsZero() && !slices.ContainsFunc(out, s.First.Equal) {
			out = append(out, s.First)
		}
	}
	return out
}

// MatchRequest is what an admin asks /api/v1/enrollments/match.
type MatchRequest struct {
	Parent  string       `json:"parent,omitempty"` // for siblings
	Student StudentInput `json:"student"`
	Plan    string       `json:"plan"`
	Limit   int          `json:"limit,omitempty"`
}

// Match is the matching answer for an admin: every active teacher of the
// instrument (public or not) scored, with the reasons in words. It returns
// the field errors of a wrong request like Check.
func Match(app core.App, req MatchRequest, now time.Time) (matching.Result, error) {
	in := Input{Parent: ParentInput{ID: req.Parent}, Student: req.Student, Plan: req.Plan, MatchMe: true, Source: SourceAdmin}
	if req.Parent == "" {
		in.Parent = ParentInput{Name: "-", Email: "match@example.invalid"}
	}
	if err := in.Validate(); err != nil {
		return matching.Result{}, err
	}
	f, err := check(app, Input{Parent: in.Parent, Student: in.Student, Plan: in.Plan, Trial: &TrialSlot{Start: now.Add(TrialLead)}, Source: SourceAdmin}, now)
	if err != nil {
		return matching.Result{}, err
	}
	return match(app, f, in, now, req.Limit)
}

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }
