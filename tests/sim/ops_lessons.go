package sim

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ops_lessons.go: the calendar's operations.

const seriesWeeks = 52 // a year of weeks: both daylight-saving changes

// gridTeachers teach the instrument on the weekly grid.
func gridTeachers(instrument string) []int {
	if instrument == violinID {
		return []int{2, 3}
	}
	return []int{0, 1, 2}
}

// lessonJSON is a lesson as the API answers it.
type lessonJSON struct {
	ID         string `json:"id"`
	Teacher    string `json:"teacher"`
	Student    string `json:"student"`
	Start      string `json:"start"`
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	Series     string `json:"series"`
	CancelNote string `json:"cancellation_note"`
}

const pbTime = "2006-01-02 15:04:05.000Z07:00"

func (j lessonJSON) lesson() *lesson {
	start, _ := time.Parse(pbTime, j.Start)
	return &lesson{id: j.ID, teacher: j.Teacher, student: j.Student, start: start.UTC(), kind: j.Kind, status: j.Status, series: j.Series}
}

func (s *Sim) lessonBody(st *student, teacher string, start time.Time, kind string) map[string]any {
	return map[string]any{"teacher": teacher, "student": st.id, "instrument": st.instrument, "start": start.Format(time.RFC3339),
		"minutes": lessonMinutes, "kind": kind}
}

// free says whether the model expects a booking at start to fit.
func (s *Sim) free(teacher string, st *student, start time.Time) bool {
	return !s.m.busy(teacher, st.id, start) && !s.m.blocked(s.cal, teacher, start)
}

// seriesFor books a student's weekly lesson from week w for a year, on a
// weekday cell the model knows is free every week.
func (s *Sim) seriesFor(st *student, w int) {
	if st.cell != nil || st.withdrawn {
		return
	}
	teachers := gridTeachers(st.instrument)
	for range 20 {
		t := teacherID(pick(s, teachers))
		c := cell{day: s.rng.IntN(5), k: s.rng.IntN(8)}
		fits := true
		for i := range seriesWeeks {
			if !s.free(t, st, s.cal.at(w+i, c)) {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		body := s.lessonBody(st, t, s.cal.at(w, c), "regular")
		body["recurrence"] = map[string]any{"count": seriesWeeks}
		s.count("series")
		a := s.c.call(http.MethodPost, "/api/v1/lessons", s.admin, body)
		if !s.expect(a, "series for "+st.id, http.StatusCreated) {
			return
		}
		var out struct {
			Series  string       `json:"series"`
			Lessons []lessonJSON `json:"lessons"`
		}
		if err := a.decode(&out); err != nil || len(out.Lessons) != seriesWeeks {
			s.problem("series for %s: %d lessons, want %d (%v)", st.id, len(out.Lessons), seriesWeeks, err)
			return
		}
		for i, l := range out.Lessons {
			got := l.lesson()
			// Wall-clock time kept across daylight-saving changes.
			if want := s.cal.at(w+i, c); !got.start.Equal(want) {
				s.problem("series %s lesson %d starts %s, want %s (%s)", out.Series, i, got.start.In(s.cal.zone), want.In(s.cal.zone), c)
			}
			s.m.add(got)
		}
		st.cell, st.teacher = &c, t
		s.series++
		if s.cal.offsetChanges(s.cal.at(w, c), seriesWeeks) >= 2 {
			s.seriesDST++
		}
		return
	}
}

func (s *Sim) opSeries() {
	for _, st := range s.m.sortedStudents() {
		if st.cell == nil && !st.withdrawn {
			s.seriesFor(st, s.week+1)
			return
		}
	}
}

// futureLesson picks a live lesson of a random student, from the current
// week to two weeks on (so the family's notice is kept).
func (s *Sim) futureLesson(kinds ...string) *lesson {
	from := s.cal.at(s.week, cell{}).Add(-24 * time.Hour)
	to := from.Add(21 * 24 * time.Hour)
	var out []*lesson
	for _, l := range s.m.lessons {
		if !l.live() || l.status != "scheduled" || l.unsure || l.start.Before(from) || l.start.After(to) || l.start.Before(time.Now().Add(48*time.Hour)) {
			continue
		}
		for _, k := range kinds {
			if l.kind == k {
				out = append(out, l)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sortLessons(out)
	return pick(s, out)
}

func (s *Sim) familyOf(studentID string) *family {
	st := s.m.students[studentID]
	for _, f := range s.m.families {
		if st != nil && f.id == st.family {
			return f
		}
	}
	return nil
}

// cancel cancels a lesson as who ("family" with the parent's token,
// "academy" with the office's) and applies the model's policy: a credit
// when the academy cancels or the family gives the notice.
func (s *Sim) cancel(l *lesson, by string, wantCredit bool) {
	s.cancelScope(l, by, wantCredit, "one")
}

// cancelScope cancels l, or l and the following scheduled lessons of its
// series (scope "following"), each with the policy's credit.
func (s *Sim) cancelScope(l *lesson, by string, wantCredit bool, scope string) {
	token := s.admin
	if by == "family" {
		token = s.familyOf(l.student).token
	}
	s.count("cancel")
	a := s.c.call(http.MethodPost, "/api/v1/lessons/"+l.id+"/cancel?scope="+scope, token, map[string]any{"cancelled_by": by})
	if !s.expect(a, "cancel "+l.id+" by "+by, http.StatusOK) {
		if a.status == 0 {
			l.unsure = true
		}
		return
	}
	var out struct {
		Lessons []lessonJSON `json:"lessons"`
	}
	if err := a.decode(&out); err != nil || len(out.Lessons) == 0 || (scope == "one" && len(out.Lessons) != 1) {
		s.problem("cancel %s: answer %s", l.id, a)
		return
	}
	for _, got := range out.Lessons {
		ml := s.m.lessons[got.ID]
		if ml == nil {
			s.problem("cancel %s (%s) answered lesson %s the model does not hold", l.id, scope, got.ID)
			continue
		}
		if ml.status != "scheduled" && !ml.unsure {
			s.problem("cancel %s (%s) cancelled lesson %s, %s in the model", l.id, scope, got.ID, ml.status)
		}
		s.m.set(ml, "cancelled")
		credit := len(got.CancelNote) >= 16 && got.CancelNote[:16] == "make-up credit: "
		if credit != wantCredit {
			s.problem("cancel %s by %s %.1f h ahead: credit %v, want %v (%q)", got.ID, by, time.Until(ml.start).Hours(), credit, wantCredit, got.CancelNote)
		}
		if credit {
			s.m.students[ml.student].credits++
		}
	}
}

func (s *Sim) opCancelWithNotice() {
	if l := s.futureLesson("regular", "makeup"); l != nil {
		s.cancel(l, "family", true)
	}
}

// opCancelInsideNotice books a lesson a few hours from now with a
// round-the-clock teacher, and the family cancels it: no credit.
func (s *Sim) opCancelInsideNotice() {
	sts := s.m.sortedStudents()
	st := pick(s, sts)
	if st.withdrawn {
		return
	}
	j := s.nowNext
	s.nowNext++
	start := s.nowBase.Add(time.Duration(j/nowTeach) * gridStep)
	if time.Until(start) > (noticeHours-2)*time.Hour {
		return // the near-now grid is used up
	}
	t := teacherID(gridTeach + j%nowTeach)
	if !s.free(t, st, start) {
		return
	}
	s.count("book-near-now")
	a := s.c.call(http.MethodPost, "/api/v1/lessons", s.admin, s.lessonBody(st, t, start, "regular"))
	if !s.expect(a, "near-now lesson", http.StatusCreated) {
		return
	}
	var got lessonJSON
	if err := a.decode(&got); err != nil {
		s.problem("near-now lesson: %v", err)
		return
	}
	l := got.lesson()
	s.m.add(l)
	s.cancel(l, "family", false)
}

// makeupSlot finds a start in the next two weeks where the model expects a
// single lesson of st to fit, with a teacher of its instrument.
func (s *Sim) makeupSlot(st *student) (string, time.Time, bool) {
	for range 30 {
		t := teacherID(pick(s, gridTeachers(st.instrument)))
		day := s.rng.IntN(6)
		c := cell{day: day, k: s.rng.IntN(cellsOn(day))}
		at := s.cal.at(s.week+1+s.rng.IntN(2), c)
		if s.free(t, st, at) {
			return t, at, true
		}
	}
	return "", time.Time{}, false
}

// book posts one lesson and adds it to the model when acknowledged.
func (s *Sim) book(token string, st *student, teacher string, at time.Time, kind string) (answer, *lesson) {
	s.count("book-" + kind)
	a := s.c.call(http.MethodPost, "/api/v1/lessons", token, s.lessonBody(st, teacher, at, kind))
	if a.status != http.StatusCreated {
		return a, nil
	}
	var got lessonJSON
	if err := a.decode(&got); err != nil {
		s.problem("booking answer: %v", err)
		return a, nil
	}
	l := got.lesson()
	return a, l
}

func (s *Sim) withCredit() []*student {
	var out []*student
	for _, st := range s.m.sortedStudents() {
		if st.credits > 0 && !st.withdrawn {
			out = append(out, st)
		}
	}
	return out
}

func (s *Sim) opMakeup() {
	sts := s.withCredit()
	if len(sts) == 0 {
		return
	}
	st := pick(s, sts)
	t, at, ok := s.makeupSlot(st)
	if !ok {
		return
	}
	a, l := s.book(s.familyOf(st.id).token, st, t, at, "makeup")
	if !s.expect(a, "make-up for "+st.id, http.StatusCreated) {
		return
	}
	s.m.add(l)
	st.credits--
}

func (s *Sim) opMakeupWithoutCredit() {
	for _, st := range s.m.sortedStudents() {
		if st.credits == 0 && !st.withdrawn {
			t, at, ok := s.makeupSlot(st)
			if !ok {
				return
			}
			a, l := s.book(s.familyOf(st.id).token, st, t, at, "makeup")
			if a.status == 0 {
				s.cut = true
				return
			}
			if l != nil {
				s.m.add(l)
				s.problem("make-up without a credit booked: %s", l.id)
			} else if a.status >= 500 {
				s.problem("make-up without a credit: %s", a)
			}
			return
		}
	}
}

// opBurst: eight clients book the same teacher at the same start at once;
// exactly one wins. Families race with their make-up credits when enough
// hold one, else the office books eight students.
func (s *Sim) opBurst() {
	teacher := teacherID(s.rng.IntN(gridTeach))
	day := s.rng.IntN(6)
	at := s.cal.at(s.week+1, cell{day: day, k: s.rng.IntN(cellsOn(day))})
	if s.m.taken[fmt.Sprint(teacher, at.Unix())] > 0 || s.m.blocked(s.cal, teacher, at) {
		return
	}
	var racers []*student
	kind := "makeup"
	for _, st := range s.withCredit() {
		if s.teaches(teacher, st.instrument) && s.free(teacher, st, at) {
			racers = append(racers, st)
		}
	}
	if len(racers) < 2 {
		racers, kind = nil, "regular"
		for _, st := range s.m.sortedStudents() {
			if !st.withdrawn && s.teaches(teacher, st.instrument) && s.free(teacher, st, at) {
				racers = append(racers, st)
			}
		}
	}
	if len(racers) > 8 {
		racers = racers[:8]
	}
	if len(racers) < 2 {
		return
	}
	answers := make([]answer, len(racers))
	lessons := make([]*lesson, len(racers))
	var wg sync.WaitGroup
	for i, st := range racers {
		token := s.admin
		if kind == "makeup" {
			token = s.familyOf(st.id).token
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				answers[i], lessons[i] = s.bookRecord(token, st, teacher, at, kind)
				return
			}
			answers[i], lessons[i] = s.book(token, st, teacher, at, kind)
		}()
	}
	wg.Wait()
	won := 0
	for i, a := range answers {
		switch {
		case a.status == 0:
			s.cut = true
		case lessons[i] != nil:
			won++
			s.m.add(lessons[i])
			if kind == "makeup" {
				racers[i].credits--
			}
		case a.status != http.StatusConflict && !(i%2 == 1 && a.status == http.StatusBadRequest):
			s.problem("burst booking: %s", a)
		}
	}
	s.count("burst")
	if won != 1 && !s.cut {
		s.problem("burst of %d bookings of %s at %s: %d won", len(racers), teacher, at, won)
	}
}

func (s *Sim) teaches(teacher, instrument string) bool {
	for i := range gridTeach + nowTeach {
		if teacherID(i) == teacher {
			for _, in := range teacherInstruments(i) {
				if in == instrument {
					return true
				}
			}
		}
	}
	return false
}

// opClosure closes a day one to two weeks ahead: the server cancels every
// lesson of the day (the academy's cancellation: a credit each).
func (s *Sim) opClosure() {
	date := s.cal.day(s.week+1+s.rng.IntN(2), s.rng.IntN(6))
	if s.m.closed[date] {
		return
	}
	from, to := s.cal.dayBounds(date)
	s.count("closure")
	a := s.c.call(http.MethodPost, "/api/collections/closures/records", s.admin,
		map[string]any{"name": "Closed " + date, "start": from.Format(pbTime), "end": to.Add(-time.Second).Format(pbTime)})
	if !s.expect(a, "closure "+date, http.StatusOK) {
		return
	}
	s.m.closed[date] = true
	for _, l := range s.m.on(s.cal, date, "") {
		s.m.set(l, "cancelled")
		s.m.students[l.student].credits++
	}
	s.checkDay(date)
}

// checkDay compares one day's lessons on the server with the model.
func (s *Sim) checkDay(date string) {
	from, to := s.cal.dayBounds(date)
	rows, err := s.c.records(s.super, "lessons", fmt.Sprintf("start >= '%s' && start < '%s'", from.Format(pbTime), to.Format(pbTime)))
	if err != nil {
		s.cut = true
		return
	}
	for _, r := range rows {
		id, _ := r["id"].(string)
		l := s.m.lessons[id]
		if l == nil || l.unsure {
			continue
		}
		if r["status"] != l.status {
			s.problem("lesson %s on %s: server says %v, model %s", id, date, r["status"], l.status)
		}
	}
}

// opTimeOff gives a teacher a day off one to three weeks ahead; the office
// then cancels that day's lessons (time off leaves them to the office).
func (s *Sim) opTimeOff() {
	t := teacherID(s.rng.IntN(gridTeach))
	date := s.cal.day(s.week+1+s.rng.IntN(3), s.rng.IntN(6))
	if s.m.daysOff[t+" "+date] || s.m.closed[date] {
		return
	}
	for _, l := range s.m.on(s.cal, date, t) {
		s.cancel(l, "academy", true)
	}
	from, to := s.cal.dayBounds(date)
	s.count("time-off")
	a := s.c.call(http.MethodPost, "/api/collections/time_off/records", s.admin,
		map[string]any{"teacher": t, "start": from.Format(pbTime), "end": to.Add(-time.Second).Format(pbTime), "reason": "sim"})
	if s.expect(a, "time off "+t+" "+date, http.StatusOK) {
		s.m.daysOff[t+" "+date] = true
	}
}

// opAvailability adds or removes a grid teacher's Sunday morning and books
// a Sunday lesson: it fits only while the window is there.
func (s *Sim) opAvailability() {
	i := s.rng.IntN(gridTeach)
	t := teacherID(i)
	if s.sunday == nil {
		s.sunday = map[string]bool{}
	}
	on := !s.sunday[t]
	if !on {
		for _, l := range s.m.lessons {
			if l.teacher == t && l.live() && l.start.After(time.Now()) && l.start.In(s.cal.zone).Weekday() == time.Sunday {
				s.cancel(l, "academy", true)
			}
		}
	}
	windows := []map[string]any{}
	for wd := 1; wd <= 5; wd++ {
		windows = append(windows, map[string]any{"weekday": wd, "start_time": "15:00", "end_time": "20:30"})
	}
	windows = append(windows, map[string]any{"weekday": 6, "start_time": "09:00", "end_time": "14:00"})
	if on {
		windows = append(windows, map[string]any{"weekday": 0, "start_time": "10:00", "end_time": "12:00"})
	}
	s.count("availability")
	a := s.c.call(http.MethodPut, "/api/v1/teachers/"+t+"/availability", s.admin, map[string]any{"windows": windows})
	if !s.expect(a, "availability "+t, http.StatusOK) {
		return
	}
	s.sunday[t] = on
	at := s.cal.at(s.week+1, cell{day: 6, k: s.rng.IntN(2)})
	for _, st := range s.m.sortedStudents() {
		if !st.withdrawn && s.teaches(t, st.instrument) && s.free(t, st, at) {
			a, l := s.book(s.admin, st, t, at, "regular")
			if on && s.expect(a, "Sunday lesson inside the window", http.StatusCreated) {
				s.m.add(l)
			}
			if !on {
				if l != nil {
					s.m.add(l)
					s.problem("Sunday lesson outside %s's availability booked: %s", t, l.id)
				} else {
					s.expect(a, "Sunday lesson outside the window", http.StatusConflict)
				}
			}
			return
		}
	}
}

// attendanceLead is how far ahead bookAttendance books: room for its four
// bookings on a busy machine, and less than a term's operations take
// (10–25 s), so that verify finds the lessons begun instead of sleeping
// until they begin (half a minute ahead, a term waited ~20 s of its ~45).
const attendanceLead = 10 * time.Second

// bookAttendance books one lesson per round-the-clock teacher starting
// attendanceLead from now; verify marks them once they started.
func (s *Sim) bookAttendance() {
	start := time.Now().Truncate(time.Second).Add(attendanceLead)
	sts := s.m.sortedStudents()
	for i := range nowTeach {
		st := sts[i%len(sts)]
		a, l := s.book(s.admin, st, teacherID(gridTeach+i), start, "regular")
		if s.expect(a, "attendance lesson", http.StatusCreated) {
			s.m.add(l)
			s.attendance = append(s.attendance, l)
		}
	}
}

// opAttendanceTooEarly: a teacher marks a lesson that has not started:
// refused.
func (s *Sim) opAttendanceTooEarly() {
	l := s.futureLesson("regular")
	if l == nil {
		return
	}
	idx := 0
	fmt.Sscanf(l.teacher, "simteacher%05d", &idx)
	s.count("attendance-early")
	a := s.c.call(http.MethodPatch, "/api/collections/lessons/records/"+l.id, s.teacherTokens[idx], map[string]any{"status": "completed"})
	if a.status == 0 {
		s.cut = true
		return
	}
	if a.ok() {
		s.problem("attendance on a future lesson %s accepted", l.id)
		s.m.set(l, "completed")
	} else if a.status >= 500 {
		s.problem("attendance too early: %s", a)
	}
}

// markAttendance marks the lessons booked at the start once they began.
func (s *Sim) markAttendance() {
	for _, l := range s.attendance {
		if wait := time.Until(l.start.Add(time.Second)); wait > 0 {
			time.Sleep(wait)
		}
		status := "completed"
		if s.rng.IntN(4) == 0 {
			status = "no_show"
		}
		idx := 0
		fmt.Sscanf(l.teacher, "simteacher%05d", &idx)
		s.count("attendance")
		a := s.c.call(http.MethodPatch, "/api/collections/lessons/records/"+l.id, s.teacherTokens[idx], map[string]any{"status": status})
		if s.expect(a, "attendance "+l.id, http.StatusOK) {
			s.m.set(l, status)
		}
	}
}

// opBurstOneCredit: a family holding one make-up credit books four
// make-ups at four different free starts at once: the credit pays for
// exactly one.
func (s *Sim) opBurstOneCredit() {
	var st *student
	for _, c := range s.withCredit() {
		if c.credits == 1 {
			st = c
			break
		}
	}
	if st == nil {
		return
	}
	type slot struct {
		teacher string
		at      time.Time
	}
	var slots []slot
	seen := map[string]bool{}
	for range 40 {
		t, at, ok := s.makeupSlot(st)
		if k := fmt.Sprint(t, at.Unix()); ok && !seen[k] && !seen[fmt.Sprint(at.Unix())] {
			seen[k], seen[fmt.Sprint(at.Unix())] = true, true
			slots = append(slots, slot{t, at})
		}
		if len(slots) == 4 {
			break
		}
	}
	if len(slots) < 2 {
		return
	}
	token := s.familyOf(st.id).token
	answers := make([]answer, len(slots))
	lessons := make([]*lesson, len(slots))
	var wg sync.WaitGroup
	for i, sl := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], lessons[i] = s.book(token, st, sl.teacher, sl.at, "makeup")
		}()
	}
	wg.Wait()
	won := 0
	for i, a := range answers {
		switch {
		case a.status == 0:
			s.cut = true
		case lessons[i] != nil:
			won++
			s.m.add(lessons[i])
			st.credits--
		case a.status >= 500:
			s.problem("make-ups on one credit: %s", a)
		}
	}
	s.count("burst-one-credit")
	if won != 1 && !s.cut {
		s.problem("%d make-ups booked at once on one credit of %s: %d went through", len(slots), st.id, won)
	}
}

// opBurstCancel: the family and the office cancel the same lesson four
// times at once: it is cancelled once, with at most one credit.
func (s *Sim) opBurstCancel() {
	l := s.futureLesson("regular")
	if l == nil {
		return
	}
	st := s.m.students[l.student]
	before := st.credits
	answers := make([]answer, 4)
	var wg sync.WaitGroup
	for i := range answers {
		token, by := s.familyOf(l.student).token, "family"
		if i%2 == 1 {
			token, by = s.admin, "academy"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.count("cancel")
			answers[i] = s.c.call(http.MethodPost, "/api/v1/lessons/"+l.id+"/cancel", token, map[string]any{"cancelled_by": by})
		}()
	}
	wg.Wait()
	s.count("burst-cancel")
	for _, a := range answers {
		if a.status == 0 {
			s.cut = true
		} else if a.status >= 500 {
			s.problem("cancel burst: %s", a)
		}
	}
	s.m.set(l, "cancelled")
	// Every cancellation here keeps the notice or is the academy's: one
	// credit, whoever won.
	open, err := s.openCredits()
	if err != nil {
		s.cut = true
		return
	}
	if open[st.id] != before+1 && !s.cut {
		s.problem("lesson %s cancelled four times at once: %d open credits, want %d", l.id, open[st.id], before+1)
	}
	st.credits = before + 1
}

// bookRecord books one lesson through PocketBase's record API (the guard
// runs on every write path).
func (s *Sim) bookRecord(token string, st *student, teacher string, at time.Time, kind string) (answer, *lesson) {
	s.count("record-" + kind)
	a := s.c.call(http.MethodPost, "/api/collections/lessons/records", token, map[string]any{"teacher": teacher, "student": st.id,
		"instrument": st.instrument, "start": at.Format(pbTime), "end": at.Add(lessonMinutes * time.Minute).Format(pbTime),
		"kind": kind, "status": "scheduled"})
	if a.status != http.StatusOK {
		return a, nil
	}
	var got lessonJSON
	if err := a.decode(&got); err != nil {
		s.problem("record API booking answer: %v", err)
		return a, nil
	}
	return a, got.lesson()
}

// opBatchMakeups: a family holding one credit sends two make-ups in one
// batch request (one transaction): at most one credit is spent, and a
// refused request takes the whole batch back.
func (s *Sim) opBatchMakeups() {
	var st *student
	for _, c := range s.withCredit() {
		if c.credits == 1 {
			st = c
			break
		}
	}
	if st == nil {
		return
	}
	t1, at1, ok1 := s.makeupSlot(st)
	t2, at2, ok2 := s.makeupSlot(st)
	if !ok1 || !ok2 || at1.Equal(at2) {
		return
	}
	body := func(t string, at time.Time) map[string]any {
		return map[string]any{"teacher": t, "student": st.id, "instrument": st.instrument, "start": at.Format(pbTime),
			"end": at.Add(lessonMinutes * time.Minute).Format(pbTime), "kind": "makeup", "status": "scheduled"}
	}
	s.count("batch-makeups")
	a := s.c.call(http.MethodPost, "/api/batch", s.familyOf(st.id).token, map[string]any{"requests": []batchReq{
		create("lessons", body(t1, at1)), create("lessons", body(t2, at2))}})
	if a.status == 0 {
		s.cut = true
		return
	}
	if a.status >= 500 {
		s.problem("batch of two make-ups: %s", a)
		return
	}
	if !a.ok() {
		// The second make-up finds no credit: the batch is taken back
		// as a whole (checkLessons finds any lesson left behind).
		s.expect(a, "a batch of two make-ups on one credit", http.StatusBadRequest)
		return
	}
	var out []struct {
		Status int        `json:"status"`
		Body   lessonJSON `json:"body"`
	}
	if err := a.decode(&out); err != nil {
		s.problem("batch answer: %v", err)
		return
	}
	booked := 0
	for _, r := range out {
		if r.Status == http.StatusOK && r.Body.ID != "" {
			booked++
			s.m.add(r.Body.lesson())
		}
	}
	st.credits -= booked
	if booked > 1 {
		s.problem("two make-ups booked in one batch on one credit of %s", st.id)
	}
}

// opReinstateRace: the office reinstates a cancelled lesson while the
// family spends the one credit that cancellation granted on a make-up, at
// the same moment: the credit is either taken back or spent, never both.
func (s *Sim) opReinstateRace() {
	rows, err := s.c.records(s.super, "makeup_credits", fmt.Sprintf("used_by = '' && revoked_at = '' && source_lesson.start > '%s'",
		time.Now().Add(72*time.Hour).UTC().Format(pbTime)))
	if err != nil || len(rows) == 0 {
		return
	}
	var candidates []map[string]any
	for _, r := range rows {
		if st := s.m.students[fmt.Sprint(r["student"])]; st != nil && st.credits == 1 && !st.withdrawn {
			if l := s.m.lessons[fmt.Sprint(r["source_lesson"])]; l != nil && !l.unsure {
				candidates = append(candidates, r)
			}
		}
	}
	if len(candidates) == 0 {
		return
	}
	r := pick(s, candidates)
	st, l := s.m.students[fmt.Sprint(r["student"])], s.m.lessons[fmt.Sprint(r["source_lesson"])]
	t, at, ok := s.makeupSlot(st)
	if !ok || at.Equal(l.start) {
		return
	}
	var reinstate, makeup answer
	var booked *lesson
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.count("reinstate")
		reinstate = s.c.call(http.MethodPatch, "/api/collections/lessons/records/"+l.id, s.admin, map[string]any{"status": "scheduled"})
	}()
	go func() {
		defer wg.Done()
		makeup, booked = s.book(s.familyOf(st.id).token, st, t, at, "makeup")
	}()
	wg.Wait()
	s.count("reinstate-race")
	if reinstate.status == 0 || makeup.status == 0 {
		s.cut = true
		return
	}
	if reinstate.status >= 500 || makeup.status >= 500 {
		s.problem("reinstate race: %s / %s", reinstate, makeup)
	}
	if reinstate.ok() {
		s.m.set(l, "scheduled")
		st.credits--
	}
	if booked != nil {
		s.m.add(booked)
		st.credits--
	}
	if reinstate.ok() && booked != nil {
		s.problem("lesson %s reinstated and its credit spent on %s at once", l.id, booked.id)
	}
	if !reinstate.ok() && booked == nil && s.free(l.teacher, st, l.start) {
		s.problem("reinstate race: neither went through: %s / %s", reinstate, makeup)
	}
}

// opTimeslots: the public page's free trial slots of a grid teacher for
// next week: none may overlap a live lesson (with the buffer), a closure,
// a day off or the edge of the teacher's week.
func (s *Sim) opTimeslots() {
	i := s.rng.IntN(gridTeach)
	t := teacherID(i)
	from := s.cal.day(s.week+1, 0)
	to := s.cal.day(s.week+1, 6)
	s.count("timeslots")
	a := s.c.call(http.MethodGet, fmt.Sprintf("/api/v1/public/timeslots?instrument=%s&teacher=%s&from=%s&to=%s&minutes=30&step=10", teacherInstruments(i)[0], t, from, to), "", nil)
	var out struct {
		Slots []struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"slots"`
	}
	if !s.expect(a, "timeslots", http.StatusOK) || a.decode(&out) != nil {
		return
	}
	buffer := bufferMinutes * time.Minute
	s.slots += len(out.Slots)
	for _, sl := range out.Slots {
		start, err1 := time.Parse(time.RFC3339, sl.Start)
		end, err2 := time.Parse(time.RFC3339, sl.End)
		if err1 != nil || err2 != nil {
			start, _ = time.Parse(pbTime, sl.Start)
			end, _ = time.Parse(pbTime, sl.End)
		}
		local := start.In(s.cal.zone)
		if s.m.blocked(s.cal, t, start) {
			s.problem("timeslot %s of %s on a closed day or day off", local, t)
		}
		open, close := 15*60, 20*60+30
		switch local.Weekday() {
		case time.Saturday:
			open, close = 9*60, 14*60
		case time.Sunday:
			open, close = 10*60, 12*60
			if !s.sunday[t] {
				open, close = 0, 0
			}
		}
		localEnd := end.In(s.cal.zone)
		if m, e := local.Hour()*60+local.Minute(), localEnd.Hour()*60+localEnd.Minute(); m < open || e > close || localEnd.Day() != local.Day() {
			s.problem("timeslot %s–%s of %s outside its week", local, localEnd.Format("15:04"), t)
		}
		for _, l := range s.m.lessons {
			if l.teacher == t && l.live() && l.start.Before(end.Add(buffer)) && start.Before(l.start.Add(lessonMinutes*time.Minute+buffer)) {
				s.problem("timeslot %s of %s overlaps lesson %s at %s", local, t, l.id, l.start.In(s.cal.zone))
				break
			}
		}
	}
}
