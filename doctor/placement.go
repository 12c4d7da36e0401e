package doctor

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// placement.go: every live lesson lies inside its teacher's weekly
// availability, with an instrument and a length the teacher offers, and
// outside the teacher's time off and the school's closures: the rules of
// scheduling.Calendar.Check, which the lesson guard runs on every booking
// and move (overlaps are overlaps.go's).
//
// A lesson that breaks one of them now may have fitted when it was
// booked: a closure, time off or availability change made later leaves it
// behind (a closure cancels only the lessons not yet held). When the rule
// it breaks changed after the lesson's schedule was last written (its
// create, or the latest audit entry that changed its time, teacher,
// instrument or reinstated it), the lesson needs attention; otherwise it
// was booked against the rule, a violation.

type placedLesson struct {
	ID         string `db:"id"`
	Teacher    string `db:"teacher"`
	Instrument string `db:"instrument"`
	Start      string `db:"start"`
	End        string `db:"end"`
	Created    string `db:"created"`
}

type span struct {
	id, updated string
	scheduling.Interval
}

type placementTeacher struct {
	cal     scheduling.Calendar
	timeOff []span
	// changed is the latest write of the teacher's offer (instruments,
	// lengths) or availability, including deleted windows.
	changed string
}

func checkPlacement(c *checker) error {
	teachers, err := loadPlacementTeachers(c)
	if err != nil {
		return err
	}
	var closureRows []struct {
		ID      string `db:"id"`
		Start   string `db:"start"`
		End     string `db:"end"`
		Updated string `db:"updated"`
	}
	if err := c.app.DB().Select("id", "start", "end", "updated").From("closures").All(&closureRows); err != nil {
		return err
	}
	closures := make([]span, 0, len(closureRows))
	for _, r := range closureRows {
		closures = append(closures, span{r.ID, r.Updated, scheduling.Interval{Start: parseDB(r.Start), End: parseDB(r.End)}})
	}

	rows, err := c.app.DB().Select("id", "teacher", "instrument", "start", "end", "created").From("lessons").
		Where(dbx.NewExp("status != 'cancelled'")).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	type issue struct {
		lesson  placedLesson
		code    string
		msg     string
		changed string // when the rule it breaks was last written
		ids     []string
	}
	var issues []issue
	for rows.Next() {
		var l placedLesson
		if err := rows.ScanStruct(&l); err != nil {
			return err
		}
		t, ok := teachers[l.Teacher]
		if !ok {
			continue // a missing teacher is not a placement question
		}
		iv := scheduling.Interval{Start: parseDB(l.Start), End: parseDB(l.End)}
		if !iv.Valid() {
			continue // lifecycle.go reports the span
		}
		req := scheduling.Request{Teacher: l.Teacher, Instrument: l.Instrument, Start: iv.Start,
			Minutes: int(iv.End.Sub(iv.Start) / time.Minute), AllowPast: true}
		for _, conflict := range t.cal.Check(req) {
			issues = append(issues, issue{l, "lesson_" + string(conflict.Reason), conflict.Message, t.changed,
				[]string{ref("lessons", l.ID), ref("teachers", l.Teacher)}})
		}
		for _, off := range t.timeOff {
			if off.Overlaps(iv) {
				issues = append(issues, issue{l, "lesson_" + string(scheduling.ReasonTimeOff), "The teacher is away.", off.updated,
					[]string{ref("lessons", l.ID), ref("time_off", off.id)}})
			}
		}
		for _, cl := range closures {
			if cl.Overlaps(iv) {
				issues = append(issues, issue{l, "lesson_" + string(scheduling.ReasonClosure), "The school is closed.", cl.updated,
					[]string{ref("lessons", l.ID), ref("closures", cl.id)}})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, is := range issues {
		written, err := scheduleWritten(c, is.lesson)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Lesson %s (%s–%s): %s", is.lesson.ID, is.lesson.Start, is.lesson.End, strings.TrimSuffix(is.msg, "."))
		if is.changed > written {
			c.attention(is.code, msg+fmt.Sprintf(", since a change at %s made after it was booked (%s); move or cancel it.", is.changed, written), is.ids...)
		} else {
			c.violation(is.code, msg+fmt.Sprintf(", and was so when it was booked (%s).", written), is.ids...)
		}
	}
	return nil
}

// loadPlacementTeachers builds each teacher's calendar (no bookings, no
// time off or closures: those are checked here with their ids).
func loadPlacementTeachers(c *checker) (map[string]placementTeacher, error) {
	records, err := c.app.FindAllRecords("teachers")
	if err != nil {
		return nil, err
	}
	out := make(map[string]placementTeacher, len(records))
	for _, r := range records {
		out[r.Id] = placementTeacher{
			cal: scheduling.Calendar{Zone: c.settings.Zone, Buffer: c.settings.Buffer, Now: c.now,
				Teacher: scheduling.Teacher{ID: r.Id, Instruments: r.GetStringSlice("instruments"), Lengths: lessons.LessonLengths(r)}},
			changed: dbTime(r.GetDateTime("updated").Time()),
		}
	}
	var windows []struct {
		Teacher   string `db:"teacher"`
		Weekday   int    `db:"weekday"`
		StartTime string `db:"start_time"`
		EndTime   string `db:"end_time"`
		ValidFrom string `db:"valid_from"`
		ValidTo   string `db:"valid_to"`
		Updated   string `db:"updated"`
	}
	if err := c.app.DB().Select("teacher", "weekday", "start_time", "end_time", "valid_from", "valid_to", "updated").
		From("availability").All(&windows); err != nil {
		return nil, err
	}
	for _, w := range windows {
		t, ok := out[w.Teacher]
		if !ok {
			continue
		}
		start, _ := scheduling.ParseClock(w.StartTime)
		end, _ := scheduling.ParseClock(w.EndTime)
		t.cal.Teacher.Availability = append(t.cal.Teacher.Availability, scheduling.WeeklyWindow{
			Weekday: time.Weekday(w.Weekday), Start: start, End: end,
			ValidFrom: parseDB(w.ValidFrom), ValidTo: parseDB(w.ValidTo)})
		t.changed = max(t.changed, w.Updated)
		out[w.Teacher] = t
	}
	// A deleted window leaves only its audit entry. An update names the
	// teacher only when it moved the window to another one.
	var deleted []struct {
		Teacher string `db:"teacher"`
		At      string `db:"at"`
	}
	if err := c.app.DB().NewQuery(`
		SELECT json_extract(changes, '$.teacher.before') AS teacher, MAX(created) AS at
		FROM audit_logs INDEXED BY idx_audit_logs_record WHERE collection = 'availability' AND action IN ('delete', 'update')
		  AND json_extract(changes, '$.teacher.before') IS NOT NULL
		GROUP BY 1`).All(&deleted); err != nil {
		return nil, err
	}
	for _, d := range deleted {
		if t, ok := out[d.Teacher]; ok {
			t.changed = max(t.changed, d.At)
			out[d.Teacher] = t
		}
	}
	var offs []struct {
		ID      string `db:"id"`
		Teacher string `db:"teacher"`
		Start   string `db:"start"`
		End     string `db:"end"`
		Updated string `db:"updated"`
	}
	if err := c.app.DB().Select("id", "teacher", "start", "end", "updated").From("time_off").All(&offs); err != nil {
		return nil, err
	}
	for _, o := range offs {
		if t, ok := out[o.Teacher]; ok {
			t.timeOff = append(t.timeOff, span{o.ID, o.Updated, scheduling.Interval{Start: parseDB(o.Start), End: parseDB(o.End)}})
			out[o.Teacher] = t
		}
	}
	return out, nil
}

// scheduleWritten is when the lesson's place in the calendar was last
// written: its latest audit entry that created it, changed its time,
// teacher or instrument, or reinstated it; its created date without one.
func scheduleWritten(c *checker, l placedLesson) (string, error) {
	var at string
	err := c.app.DB().NewQuery(`
		SELECT COALESCE(MAX(created), '') FROM audit_logs INDEXED BY idx_audit_logs_record
		WHERE collection = 'lessons' AND record = {:id}
		  AND (action = 'create'
		    OR json_extract(changes, '$.start') IS NOT NULL OR json_extract(changes, '$.end') IS NOT NULL
		    OR json_extract(changes, '$.teacher') IS NOT NULL OR json_extract(changes, '$.instrument') IS NOT NULL
		    OR json_extract(changes, '$.status.before') = 'cancelled')`).
		Bind(dbx.Params{"id": l.ID}).Row(&at)
	if err != nil {
		return "", err
	}
	if at == "" {
		at = l.Created
	}
	return at, nil
}
