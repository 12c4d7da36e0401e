package lessonsapi

import (
	"maps"
	"net/http"
	"slices"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/hooks"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// lesson_check.go: POST /api/v1/lessons/check-conflicts answers whether a
// lesson (or a weekly series) fits and, when it does not, what would:
// ranked free slots with the same teacher, then with other teachers who
// teach the instrument. Nothing is written.

// alternativesAround is how far before and after the requested time the
// alternatives search looks.
const alternativesAround = 14 * 24 * time.Hour

// placement is a lesson request resolved against the database.
type placement struct {
	// Free is the free-time cache at the counter value read once when the
	// request began: every kept value the request uses comes from it.
	Free     *freetime.Snapshot
	Settings academy.Settings
	Input    lessonInput
	Request  scheduling.Request
	Starts   []time.Time
	Student  *core.Record
}

// resolvePlacement validates the input and checks that the teacher, the
// student and the room exist and that the caller may see them (under the
// collections' view rules); unknown or hidden ones are a 400 on that field.
func resolvePlacement(e *core.RequestEvent) (*placement, error) {
	free, err := freetime.For(e.App).At(e.App)
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	settings, err := free.Settings()
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return nil, err
	}
	in := readLessonInput(b)
	in.validate(b, settings.Zone)
	// Every well-formed id is looked up, so one answer names all mistakes.
	unknown := func(field, collection, id, what string) *core.Record {
		if id == "" || b.Failed(field) {
			return nil
		}
		find := hooks.FindVisible
		if collection == "teachers" {
			find = func(e *core.RequestEvent, _, id string) (*core.Record, error) { return visibleTeacher(e, free, id) }
		}
		r, err := find(e, collection, id)
		if err != nil {
			b.Add(field, validation.NewError("validation_unknown_record", "Unknown "+what+"."))
		}
		return r
	}
	teacher := unknown("teacher", "teachers", in.Teacher, "teacher")
	student := unknown("student", "students", in.Student, "student")
	unknown("room", "rooms", in.Room, "room")
	unknown("instrument", "instruments", in.Instrument, "instrument")
	if err := b.Check(e); err != nil {
		return nil, err
	}
	if in.Instrument == "" {
		in.Instrument = defaultInstrument(teacher, student)
	}
	starts, _ := in.occurrences(settings.Zone) // validated above
	p := &placement{Free: free, Settings: settings, Input: in, Request: in.request(settings.Zone), Starts: starts, Student: student}
	return p, nil
}

// visibleTeacher is hooks.FindVisible for a teacher, its record kept at
// the request's counter value (the teachers table is watched): one query
// less on every check. The view rule is still decided for the caller.
func visibleTeacher(e *core.RequestEvent, free *freetime.Snapshot, id string) (*core.Record, error) {
	r, err := teacherRecord(e.App, free, id)
	if err != nil {
		return nil, e.NotFoundError("", nil)
	}
	return hooks.Visible(e, r)
}

// teacherRecord is the teacher's record as kept at free's counter value;
// requests share it, so it is only read.
func teacherRecord(app core.App, free *freetime.Snapshot, id string) (*core.Record, error) {
	return freetime.ValueAt(free, "teacher-record:"+id, func() (*core.Record, error) {
		return app.FindRecordById("teachers", id)
	})
}

// defaultInstrument is the first of the student's instruments the teacher
// teaches, else the teacher's first.
func defaultInstrument(teacher, student *core.Record) string {
	taught := teacher.GetStringSlice("instruments")
	for _, i := range student.GetStringSlice("instruments") {
		if slices.Contains(taught, i) {
			return i
		}
	}
	if len(taught) > 0 {
		return taught[0]
	}
	return ""
}

// checkResult is the answer of check-conflicts (and the body of a 409).
type checkResult struct {
	OK           bool                    `json:"ok"`
	Conflicts    []scheduling.Conflict   `json:"conflicts"`
	Alternatives []alternativeView       `json:"alternatives"`
	Occurrences  []scheduling.Occurrence `json:"occurrences,omitempty"`
}

// alternativeView adds what a frontend shows next to a suggested slot.
type alternativeView struct {
	scheduling.Alternative
	TeacherName string `json:"teacher_name"`
	LocalDate   string `json:"local_date"`
	LocalStart  string `json:"local_start"`
}

func CheckLessonConflicts(e *core.RequestEvent) error {
	p, err := resolvePlacement(e)
	if err != nil {
		return err
	}
	result, err := p.check(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, result)
}

// check plans every occurrence (one for a single lesson) and ranks the
// alternatives for the first one that does not fit.
func (p *placement) check(e *core.RequestEvent) (*checkResult, error) {
	span := scheduling.Interval{Start: p.Starts[0], End: p.Starts[len(p.Starts)-1].Add(time.Duration(p.Request.Minutes) * time.Minute)}
	cals, err := p.Free.Calendars(p.Settings, lessons.CalendarScope{Teachers: []string{p.Request.Teacher}, Student: p.Request.Student, Room: p.Request.Room, Span: span})
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	cal := cals[p.Request.Teacher]
	plan := cal.PlanSeries(p.Request, p.Starts)
	result := &checkResult{OK: true, Conflicts: []scheduling.Conflict{}, Alternatives: []alternativeView{}}
	if p.Input.Recurrence != nil {
		result.Occurrences = plan
	}
	var refused *scheduling.Occurrence
	for i := range plan {
		if plan[i].Status == scheduling.OccurrenceSkipped {
			result.OK = false
			result.Conflicts = append(result.Conflicts, plan[i].Conflicts...)
			if refused == nil {
				refused = &plan[i]
			}
		}
	}
	if refused != nil {
		req := p.Request
		req.Start = refused.Start
		if result.Alternatives, err = p.alternatives(e, req); err != nil {
			return nil, err
		}
	}
	lists := [][]scheduling.Conflict{result.Conflicts}
	for i := range result.Occurrences {
		lists = append(lists, result.Occurrences[i].Conflicts)
	}
	redactConflicts(e, lists...)
	return result, nil
}

// alternatives ranks free slots around req: the same teacher first, then
// active teachers who teach the instrument (and the student's level).
func (p *placement) alternatives(e *core.RequestEvent, req scheduling.Request) ([]alternativeView, error) {
	teaching, err := freetime.ValueAt(p.Free, "alternative-teachers:"+req.Instrument, func() ([]otherTeacher, error) {
		return loadTeachersOf(e.App, req.Instrument)
	})
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	others := make([]otherTeacher, 0, maxOtherTeachers)
	for _, t := range teaching {
		if t.ID != req.Teacher && len(others) < maxOtherTeachers {
			others = append(others, t)
		}
	}
	ids := []string{req.Teacher}
	names := map[string]string{}
	for _, t := range others {
		ids = append(ids, t.ID)
		names[t.ID] = t.Name
	}
	if own, err := teacherRecord(e.App, p.Free, req.Teacher); err == nil {
		names[req.Teacher] = own.GetString("display_name")
	}
	// The teachers' free slots come from the free-time cache; the student's
	// own lessons (with any teacher) are read fresh and taken out of them.
	span := scheduling.Interval{Start: req.Start.Add(-alternativesAround), End: req.Start.Add(alternativesAround)}
	busy, err := lessons.StudentBookings(e.App, req.Student, span)
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	level := p.Student.GetString("level")
	var candidates []scheduling.Candidate
	for _, t := range others {
		candidates = append(candidates, scheduling.Candidate{
			Calendar: scheduling.Calendar{Zone: p.Settings.Zone, Teacher: scheduling.Teacher{ID: t.ID, Lengths: t.Lengths}},
			Level:    level != "" && slices.Contains(t.Levels, level),
		})
	}
	limit := p.Input.Limit
	if limit == 0 {
		limit = 5
	}
	own := scheduling.Calendar{Zone: p.Settings.Zone, Buffer: p.Settings.Buffer, Now: time.Now().UTC(), Teacher: scheduling.Teacher{ID: req.Teacher}}
	// The requested teacher's free slots are asked for first and alone:
	// its slots usually fill the list, and then the other teachers' are
	// never asked for (RankAlternativesFrom skips a teacher none of whose
	// slots could rank, and asks only for the days near enough to rank).
	// The others are asked for together, in the first (widest) range asked
	// for one of them, and cut to each later, narrower one.
	var free map[string][]scheduling.Interval
	var freeErr error
	taken := scheduling.NewIntervalIndex(relevantBusy(busy, req)) // the same for every teacher
	source := func(cal scheduling.Calendar, q scheduling.SlotQuery, _ scheduling.Request) []scheduling.Interval {
		if freeErr != nil {
			return nil
		}
		if _, ok := free[cal.Teacher.ID]; !ok {
			ask := ids[1:]
			if cal.Teacher.ID == req.Teacher {
				ask = ids[:1]
			}
			var got map[string][]scheduling.Interval
			if got, freeErr = p.Free.Slots(p.Settings, ask, q); freeErr != nil {
				return nil
			}
			if free == nil {
				free = got
			} else {
				maps.Copy(free, got)
			}
		}
		// The student's lessons are decided once, not once per slot: at
		// 10x a student has about fifty lessons in the four weeks and the
		// teachers tens of thousands of free slots.
		slots := free[cal.Teacher.ID]
		out := make([]scheduling.Interval, 0, len(slots))
		for _, s := range slots {
			if !s.Start.Before(q.From) && !s.End.After(q.To) && (taken.Empty() || !taken.Overlaps(s)) {
				out = append(out, s)
			}
		}
		return out
	}
	ranked := scheduling.RankAlternativesFrom(own, candidates, scheduling.AlternativesQuery{Request: req, Around: alternativesAround, Limit: limit}, source)
	if freeErr != nil {
		return nil, e.InternalServerError("", freeErr)
	}
	out := make([]alternativeView, 0, len(ranked))
	for _, a := range ranked {
		local := a.Start.In(p.Settings.Zone)
		out = append(out, alternativeView{Alternative: a, TeacherName: names[a.Teacher], LocalDate: local.Format(time.DateOnly), LocalStart: local.Format("15:04")})
	}
	return out, nil
}

// otherTeacher is what alternatives need of another teacher.
type otherTeacher struct {
	ID, Name string
	Lengths  []int
	Levels   []string
}

// maxOtherTeachers is how many other teachers alternatives look at.
const maxOtherTeachers = 50

// loadTeachersOf lists the active teachers who teach instrument, by name,
// one more than alternatives look at: the requested teacher is taken out
// of this list, kept once per instrument (it was kept per instrument and
// teacher: right after a start, two thousand such lists were read).
func loadTeachersOf(app core.App, instrument string) ([]otherTeacher, error) {
	rows, err := app.FindRecordsByFilter("teachers", "active = true && instruments:each ?= {:instrument}", "display_name,id", maxOtherTeachers+1, 0,
		map[string]any{"instrument": instrument})
	if err != nil {
		return nil, err
	}
	out := make([]otherTeacher, len(rows))
	for i, t := range rows {
		out[i] = otherTeacher{ID: t.Id, Name: t.GetString("display_name"), Lengths: lessons.LessonLengths(t), Levels: t.GetStringSlice("levels")}
	}
	return out, nil
}

// relevantBusy is what of busy makes a slot unavailable to r: the
// intervals of the request's student's (or room's) lessons, the request's
// own lesson (a move) aside.
func relevantBusy(busy []scheduling.Booking, r scheduling.Request) []scheduling.Interval {
	var out []scheduling.Interval
	for _, b := range busy {
		if b.ID != "" && b.ID == r.IgnoreID {
			continue
		}
		if (r.Student != "" && b.Student == r.Student) || (r.Room != "" && b.Room == r.Room) {
			out = append(out, b.Interval)
		}
	}
	return out
}

// redactConflicts blanks the id of every conflicting lesson the caller may
// not view (another family's lesson), keeping the reason and the window.
// The ids of all the lists are decided together, in at most one query; if
// it fails, every id is blanked.
func redactConflicts(e *core.RequestEvent, lists ...[]scheduling.Conflict) {
	if all, err := hooks.ViewsAll(e, "lessons"); err == nil && all {
		return // the ids were read in this request: nothing to ask
	}
	var ids []string
	for _, conflicts := range lists {
		for _, c := range conflicts {
			if c.LessonID != "" && !slices.Contains(ids, c.LessonID) {
				ids = append(ids, c.LessonID)
			}
		}
	}
	visible, err := hooks.VisibleIDs(e, "lessons", ids)
	if err != nil {
		visible = nil
	}
	for _, conflicts := range lists {
		for i, c := range conflicts {
			if c.LessonID != "" && !visible[c.LessonID] {
				conflicts[i].LessonID = ""
			}
		}
	}
}
