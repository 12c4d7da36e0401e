package scheduling

import (
	"fmt"
	"slices"
	"time"
)

// Reason is the machine-readable code of a scheduling conflict.
type Reason string

const (
	ReasonTeacherBusy         Reason = "teacher_busy"
	ReasonStudentBusy         Reason = "student_busy"
	ReasonRoomBusy            Reason = "room_busy"
	ReasonOutsideAvailability Reason = "outside_availability"
	ReasonTimeOff             Reason = "teacher_time_off"
	ReasonClosure             Reason = "school_closed"
	ReasonInstrumentNotTaught Reason = "instrument_not_taught"
	ReasonLengthNotOffered    Reason = "length_not_offered"
	ReasonInPast              Reason = "in_the_past"
)

// Conflict says why a lesson does not fit: the rule, the window it clashes
// with and, for clashes with another lesson, that lesson's id (callers blank
// it when the requester may not see that lesson).
type Conflict struct {
	Reason   Reason   `json:"reason"`
	Message  string   `json:"message"`
	Window   Interval `json:"window"`
	LessonID string   `json:"lesson_id,omitempty"`
}

// Booking is an existing, non-cancelled lesson.
type Booking struct {
	ID      string
	Teacher string
	Student string
	Room    string
	Interval
}

// Teacher is what the rules need to know about a teacher.
type Teacher struct {
	ID           string
	Instruments  []string
	Lengths      []int // minutes offered
	Availability []WeeklyWindow
	TimeOff      []Interval
}

// Request is a lesson to place. Empty Student or Room skip those checks (a
// public trial slot has neither yet).
type Request struct {
	Teacher    string
	Student    string
	Room       string
	Instrument string
	Start      time.Time
	Minutes    int
	// IgnoreID is the lesson being moved, so it does not clash with itself.
	IgnoreID string
	// AllowPast lets an admin back-fill attendance.
	AllowPast bool
}

// Interval returns the span the request would occupy.
func (r Request) Interval() Interval {
	return Interval{Start: r.Start, End: r.Start.Add(time.Duration(r.Minutes) * time.Minute)}
}

// Calendar is everything around one teacher that a check needs. Bookings
// must hold the lessons of the teacher, the student and the room that may
// touch the request (± buffer); cancelled lessons must not be in it.
type Calendar struct {
	Zone     *time.Location
	Buffer   time.Duration
	Now      time.Time
	Teacher  Teacher
	Closures []Interval
	Bookings []Booking
}

// Check lists every rule the request breaks; none means it fits.
func (c Calendar) Check(r Request) []Conflict {
	var out []Conflict
	span := r.Interval()
	add := func(reason Reason, window Interval, lessonID, msg string) {
		out = append(out, Conflict{Reason: reason, Message: msg, Window: window, LessonID: lessonID})
	}

	if r.Instrument != "" && !slices.Contains(c.Teacher.Instruments, r.Instrument) {
		add(ReasonInstrumentNotTaught, span, "", "The teacher does not teach this instrument.")
	}
	if !slices.Contains(c.Teacher.Lengths, r.Minutes) {
		add(ReasonLengthNotOffered, span, "", fmt.Sprintf("The teacher does not offer %d-minute lessons (offers %v).", r.Minutes, c.Teacher.Lengths))
	}
	if !r.AllowPast && span.Start.Before(c.Now) {
		add(ReasonInPast, span, "", "The lesson would start in the past.")
	}
	if !c.withinAvailability(span) {
		add(ReasonOutsideAvailability, span, "", "Outside the teacher's weekly availability.")
	}
	for _, off := range c.Teacher.TimeOff {
		if off.Overlaps(span) {
			add(ReasonTimeOff, off, "", "The teacher is away.")
		}
	}
	for _, closed := range c.Closures {
		if closed.Overlaps(span) {
			add(ReasonClosure, closed, "", "The school is closed.")
		}
	}
	for _, b := range c.Bookings {
		if b.ID != "" && b.ID == r.IgnoreID {
			continue
		}
		// The buffer keeps a teacher's lessons apart; a student (siblings
		// included) and a room may go back to back.
		if b.Teacher == r.Teacher && b.Interval.Pad(c.Buffer).Overlaps(span) {
			add(ReasonTeacherBusy, b.Interval, b.ID, "The teacher has another lesson then (buffer included).")
		}
		if r.Student != "" && b.Student == r.Student && b.Interval.Overlaps(span) {
			add(ReasonStudentBusy, b.Interval, b.ID, "The student has another lesson then.")
		}
		if r.Room != "" && b.Room == r.Room && b.Interval.Overlaps(span) {
			add(ReasonRoomBusy, b.Interval, b.ID, "The room is taken then.")
		}
	}
	return out
}

// withinAvailability reports whether span lies inside one weekly window on
// its local date, read as wall-clock time in the academy's zone.
func (c Calendar) withinAvailability(span Interval) bool {
	start := span.Start.In(c.Zone)
	end := span.End.In(c.Zone)
	startClock := clockOf(start)
	endClock := clockOf(end)
	sameDay := sameDate(start, end)
	if !sameDay {
		// Only a lesson ending exactly at midnight may cross the date.
		if endClock != 0 || !sameDate(start, end.Add(-time.Minute)) {
			return false
		}
		endClock = 24 * 60
	}
	date := dateOf(start)
	for _, w := range c.Teacher.Availability {
		if w.Weekday == start.Weekday() && w.Start <= startClock && endClock <= w.End && w.validOn(date) {
			return true
		}
	}
	return false
}

func clockOf(t time.Time) Clock { return Clock(t.Hour()*60 + t.Minute()) }

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// dateOf returns t's local calendar date as midnight UTC, the form in which
// validity dates are stored.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
