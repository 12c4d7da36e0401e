package matching

import (
	"errors"
	"fmt"
	"time"

	"cedarheights/scheduling"
)

// Limits on one request: they bound the work a caller can ask for.
const (
	DefaultLimit = 3
	MaxLimit     = 20
	// MaxPreferred is four windows a day, every day of the week.
	MaxPreferred = 28
	MaxSiblings  = 20
)

// Academy is what matching needs from the academy's settings.
type Academy struct {
	Zone *time.Location
	// Buffer is the minimum gap between two lessons of one teacher.
	Buffer time.Duration
	// Closures only move the suggested first lesson past them.
	Closures []scheduling.Interval
}

// Request describes the student to place.
type Request struct {
	Instrument string // instrument id, compared with scheduling.Teacher.Instruments
	Level      string // "beginner", "intermediate", "advanced"; empty: not asked
	Minutes    int    // lesson length
	// Preferred are the family's weekly windows (wall-clock, academy zone);
	// the lesson must fit wholly inside one. Validity dates are ignored.
	Preferred        []scheduling.WeeklyWindow
	PreferredTeacher string // teacher id; empty: none
	Siblings         []Sibling
	// From is the earliest instant for the first lesson (usually now).
	From  time.Time
	Limit int // how many matches to return; 0 means DefaultLimit

	// Names used in the sentences for parents; optional.
	InstrumentName string // "Piano"
	Student        string // "Ben"
}

// Sibling is one weekly lesson of a brother or sister already enrolled.
type Sibling struct {
	Name    string
	Teacher string
	Lesson  scheduling.WeeklyWindow
}

// Candidate is a teacher that could take the student. Teacher.Availability
// holds the weekly windows (those not valid in the week after Request.From
// are ignored); Teacher.TimeOff only moves the suggested first lesson.
type Candidate struct {
	Teacher  scheduling.Teacher
	Name     string   // display name
	Levels   []string // levels taught; empty: not stated, taken as all
	Capacity int      // most students at once; 0: not taking new students
	Active   int      // students taught now
	// Booked are the teacher's weekly lessons (recurring), as windows.
	Booked []scheduling.WeeklyWindow
}

// FieldError names the request field a validation error belongs to, so the
// HTTP layer can answer 400 with the field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Validation errors, wrapped in a FieldError.
var (
	ErrRequired      = errors.New("cannot be blank")
	ErrMinutes       = errors.New("must be a lesson length in minutes (1 … 1440)")
	ErrWindow        = errors.New("must be a weekday (0–6) with a start before the end, HH:MM within the day")
	ErrTooMany       = errors.New("has too many entries")
	ErrLimit         = fmt.Errorf("must be between 1 and %d", MaxLimit)
	ErrZoneMissing   = errors.New("the academy's time zone is missing")
	ErrFromMissing   = errors.New("must be the earliest time for the first lesson")
	ErrSiblingWindow = errors.New("must be a sibling's weekly lesson: weekday 0–6, start before end")
)

// Validate checks the request on its own.
func (r Request) Validate() error {
	fail := func(field string, err error) error { return &FieldError{Field: field, Err: err} }
	if r.Instrument == "" {
		return fail("instrument", ErrRequired)
	}
	if r.Minutes <= 0 || r.Minutes > 24*60 {
		return fail("minutes", ErrMinutes)
	}
	if len(r.Preferred) > MaxPreferred {
		return fail("preferred_times", ErrTooMany)
	}
	for i, w := range r.Preferred {
		if !validWindow(w) {
			return fail(fmt.Sprintf("preferred_times.%d", i), ErrWindow)
		}
	}
	if len(r.Siblings) > MaxSiblings {
		return fail("siblings", ErrTooMany)
	}
	for i, s := range r.Siblings {
		if !validWindow(s.Lesson) {
			return fail(fmt.Sprintf("siblings.%d", i), ErrSiblingWindow)
		}
	}
	if r.Limit < 0 || r.Limit > MaxLimit {
		return fail("limit", ErrLimit)
	}
	if r.From.IsZero() {
		return fail("from", ErrFromMissing)
	}
	return nil
}

func validWindow(w scheduling.WeeklyWindow) bool {
	return w.Weekday >= time.Sunday && w.Weekday <= time.Saturday &&
		w.Start >= 0 && w.End <= 24*60 && w.Start < w.End
}
