package enrollment

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// check.go: what the request must satisfy before anything is written, run
// by the routes (a 400 naming every wrong field, or a 409 when the slot is
// taken) and again by the run's first node (the world may have changed in
// between). The checks only read.

// liveStatuses are the enrollments that take a place with their teacher.
var liveStatuses = []any{"pending", "pending_confirmation", "active", "paused", "past_due"}

// SlotTakenError says the trial slot is no longer free; Alternatives are
// free slots near it (the same teacher first). Routes answer it with 409.
type SlotTakenError struct {
	Message      string                   `json:"message"`
	Alternatives []scheduling.Alternative `json:"alternatives"`
}

func (e *SlotTakenError) Error() string { return e.Message }

// facts are the records a valid request names, loaded once.
type facts struct {
	settings   academy.Settings
	instrument *core.Record
	plan       *core.Record
	minutes    int
	teacher    *core.Record // the trial's or the admin's, nil when matched
}

// Check runs every check of in that needs the database, at now: a
// validation.Errors naming each wrong field (all at once), or a
// *SlotTakenError, or nil.
func Check(app core.App, in Input, now time.Time) error {
	_, err := check(app, in, now)
	return err
}

func check(app core.App, in Input, now time.Time) (*facts, error) {
	settings, err := academy.Load(app)
	if err != nil {
		return nil, err
	}
	f := &facts{settings: settings}
	errs := validation.Errors{}
	student := validation.Errors{}
	public := in.Source != SourceAdmin

	f.instrument, err = findRecord(app, "instruments", in.Student.Instrument)
	if err != nil {
		return nil, err
	}
	if f.instrument == nil || !f.instrument.GetBool("active") {
		student["instrument"] = validation.NewError("validation_instrument_not_offered", "We do not offer lessons for this instrument.")
		f.instrument = nil
	}
	if f.instrument != nil {
		at := now
		if in.Trial != nil {
			at = in.Trial.Start
		}
		birth, _ := time.ParseInLocation(time.DateOnly, in.Student.BirthDate, settings.Zone)
		if min := f.instrument.GetInt("min_age"); min > 0 && ageOn(birth, at.In(settings.Zone)) < min {
			student["birth_date"] = validation.NewError("validation_too_young",
				fmt.Sprintf("%s lessons start at age %d; %s is %d then.", f.instrument.GetString("name"), min, in.Student.FirstName, max(ageOn(birth, at.In(settings.Zone)), 0)))
		}
		if !birth.Before(now) {
			student["birth_date"] = validation.NewError("validation_birth_date_future", "Must be in the past.")
		}
	}
	if id := in.Student.PreferredTeacher; id != "" {
		t, err := findRecord(app, "teachers", id)
		if err != nil {
			return nil, err
		}
		if t == nil || !t.GetBool("active") || (public && !t.GetBool("public")) {
			student["preferred_teacher"] = validation.NewError("validation_unknown_teacher", "Unknown teacher.")
		}
	}
	if len(student) > 0 {
		errs["student"] = student
	}

	f.plan, err = findRecord(app, "pricing_plans", in.Plan)
	if err != nil {
		return nil, err
	}
	if f.plan == nil || !f.plan.GetBool("active") || (public && !f.plan.GetBool("public")) {
		errs["plan"] = validation.NewError("validation_plan_inactive", "Must be one of the plans we offer now.")
		f.plan = nil
	} else {
		f.minutes = f.plan.GetInt("lesson_minutes")
	}

	if in.Parent.ID != "" {
		parent, err := findRecord(app, "users", in.Parent.ID)
		if err != nil {
			return nil, err
		}
		if parent == nil || parent.GetString("role") != "parent" {
			errs["parent"] = validation.Errors{"id": validation.NewError("validation_not_family", "Must be a parent's account.")}
		}
	}

	// The teacher: the trial slot's, an admin's choice, or a match.
	field, teacherID := "", ""
	switch {
	case in.Trial != nil:
		field, teacherID = "trial", in.Trial.Teacher
		if !in.Trial.Start.After(now) {
			errs["trial"] = validation.Errors{"start": validation.NewError("validation_past", "Must be in the future.")}
		}
	case in.Teacher != "":
		field, teacherID = "teacher", in.Teacher
	}
	if teacherID != "" && f.instrument != nil && f.plan != nil && errs["trial"] == nil {
		t, problem, err := qualifies(app, teacherID, f, in.Student.Level, public)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			e := validation.NewError("validation_teacher_unavailable", problem)
			if field == "trial" {
				errs["trial"] = validation.Errors{"teacher": e}
			} else {
				errs["teacher"] = e
			}
		}
		f.teacher = t
	}
	if in.MatchMe && in.Teacher == "" && f.instrument != nil && f.plan != nil && len(errs) == 0 {
		res, err := match(app, f, in, now, 1)
		if err != nil {
			return nil, err
		}
		if len(res.Matches) == 0 {
			errs["trial"] = validation.NewError("validation_no_teacher", noTeacherSentence(res.Rejected, f))
		}
	}
	if len(errs) > 0 {
		return f, errs
	}
	if in.Trial != nil {
		if taken, err := slotTaken(app, f, in.Trial.Teacher, in.Trial.Start, public); err != nil || taken != nil {
			if err != nil {
				return nil, err
			}
			return f, taken
		}
	}
	return f, nil
}

// qualifies loads the teacher and says, in words, why it cannot take the
// student ("" when it can).
func qualifies(app core.App, id string, f *facts, level string, public bool) (*core.Record, string, error) {
	t, err := findRecord(app, "teachers", id)
	if err != nil {
		return nil, "", err
	}
	if t == nil || !t.GetBool("active") || (public && !t.GetBool("public")) {
		return nil, "Unknown teacher.", nil
	}
	name := t.GetString("display_name")
	switch {
	case !slices.Contains(t.GetStringSlice("instruments"), f.instrument.Id):
		return t, fmt.Sprintf("%s does not teach %s.", name, f.instrument.GetString("name")), nil
	case !slices.Contains(lessons.LessonLengths(t), f.minutes):
		return t, fmt.Sprintf("%s does not give %d-minute lessons.", name, f.minutes), nil
	case level != "" && len(t.GetStringSlice("levels")) > 0 && !slices.Contains(t.GetStringSlice("levels"), level):
		return t, fmt.Sprintf("%s does not teach %s students.", name, level), nil
	}
	active, err := activeStudents(app, []string{t.Id})
	if err != nil {
		return nil, "", err
	}
	if capacity := t.GetInt("capacity"); active[t.Id] >= capacity {
		return t, fmt.Sprintf("%s has no room for new students.", name), nil
	}
	return t, "", nil
}

// slotTaken checks the trial slot against the calendar as a save would,
// and lists alternatives when it does not fit.
func slotTaken(app core.App, f *facts, teacher string, start time.Time, public bool) (*SlotTakenError, error) {
	col, err := app.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return nil, err
	}
	probe := core.NewRecord(col)
	probe.Load(map[string]any{"teacher": teacher, "instrument": f.instrument.Id, "start": start.UTC(),
		"end": start.UTC().Add(time.Duration(f.minutes) * time.Minute), "kind": "trial", "status": "scheduled"})
	conflicts, err := lessons.CheckLesson(app, probe)
	if err != nil || len(conflicts) == 0 {
		return nil, err
	}
	alts, err := alternatives(app, f, teacher, start, public)
	if err != nil {
		return nil, err
	}
	return &SlotTakenError{Message: "This trial slot is no longer free: " + conflicts[0].Message, Alternatives: alts}, nil
}

// alternatives are free trial slots near start: the teacher's first, then
// other teachers of the instrument who give lessons of the plan's length.
func alternatives(app core.App, f *facts, teacher string, start time.Time, public bool) ([]scheduling.Alternative, error) {
	ids := []string{teacher}
	others, err := teachersOf(app, f.instrument.Id, public)
	if err != nil {
		return nil, err
	}
	for _, t := range others {
		if t.Id != teacher && slices.Contains(lessons.LessonLengths(t), f.minutes) {
			ids = append(ids, t.Id)
		}
	}
	around := 14 * 24 * time.Hour
	span := scheduling.Interval{Start: start.Add(-around), End: start.Add(around)}
	cals, err := lessons.LoadCalendars(app, f.settings, lessons.CalendarScope{Teachers: ids, Span: span})
	if err != nil {
		return nil, err
	}
	own, ok := cals[teacher]
	if !ok {
		return []scheduling.Alternative{}, nil
	}
	var cands []scheduling.Candidate
	for _, id := range ids[1:] {
		cands = append(cands, scheduling.Candidate{Calendar: cals[id], Level: true})
	}
	alts := scheduling.RankAlternatives(own, cands, scheduling.AlternativesQuery{
		Request: scheduling.Request{Teacher: teacher, Instrument: f.instrument.Id, Start: start, Minutes: f.minutes},
		Around:  around, Limit: 5,
	})
	if alts == nil {
		alts = []scheduling.Alternative{}
	}
	return alts, nil
}

// teachersOf lists the active teachers of an instrument (public ones only
// for families), by name.
func teachersOf(app core.App, instrument string, public bool) ([]*core.Record, error) {
	where := dbx.NewExp("active = true AND EXISTS (SELECT 1 FROM json_each(teachers.instruments) WHERE value = {:i})", dbx.Params{"i": instrument})
	all, err := app.FindAllRecords("teachers", where)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if !public || t.GetBool("public") {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *core.Record) int {
		return strings.Compare(a.GetString("display_name")+a.Id, b.GetString("display_name")+b.Id)
	})
	return out, nil
}

// activeStudents counts each teacher's students with a live enrollment.
func activeStudents(app core.App, teachers []string) (map[string]int, error) {
	out := map[string]int{}
	if len(teachers) == 0 {
		return out, nil
	}
	var rows []struct {
		Teacher string `db:"teacher"`
		N       int    `db:"n"`
	}
	err := app.DB().Select("teacher", "COUNT(DISTINCT student) AS n").From("enrollments").
		Where(dbx.In("teacher", anySlice(teachers)...)).AndWhere(dbx.In("status", liveStatuses...)).
		GroupBy("teacher").All(&rows)
	for _, r := range rows {
		out[r.Teacher] = r.N
	}
	return out, err
}

// ageOn is the age in whole years on day at of someone born on birth.
func ageOn(birth, at time.Time) int {
	age := at.Year() - birth.Year()
	if at.Month() < birth.Month() || (at.Month() == birth.Month() && at.Day() < birth.Day()) {
		age--
	}
	return age
}

// findRecord is FindRecordById with "not found" as nil.
func findRecord(app core.App, collection, id string) (*core.Record, error) {
	if id == "" {
		return nil, nil
	}
	r, err := app.FindRecordById(collection, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func anySlice[T any](items []T) []any {
	out := make([]any, len(items))
	for i, v := range items {
		out[i] = v
	}
	return out
}
