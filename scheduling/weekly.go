package scheduling

import (
	"errors"
	"time"
)

// WeeklyWindow is a recurring weekly span of a teacher's availability, in
// the academy's local wall-clock time. ValidFrom/ValidTo bound it by local
// calendar date; a zero value means unbounded.
type WeeklyWindow struct {
	Weekday   time.Weekday
	Start     Clock
	End       Clock
	ValidFrom time.Time
	ValidTo   time.Time
}

// Window validation errors; callers attach them to the offending field.
var (
	ErrWindowEndBeforeStart = errors.New("must be after the start time")
	ErrWindowValidity       = errors.New("must not be before valid_from")
)

// Validate checks the window on its own.
func (w WeeklyWindow) Validate() error {
	if w.End <= w.Start {
		return ErrWindowEndBeforeStart
	}
	if !w.ValidFrom.IsZero() && !w.ValidTo.IsZero() && w.ValidTo.Before(w.ValidFrom) {
		return ErrWindowValidity
	}
	return nil
}

// Overlaps reports whether two windows can ever cover the same instant: same
// weekday, intersecting times of day and intersecting validity periods.
// Touching windows (16:00–17:00 and 17:00–18:00) do not overlap.
func (w WeeklyWindow) Overlaps(o WeeklyWindow) bool {
	if w.Weekday != o.Weekday || w.Start >= o.End || o.Start >= w.End {
		return false
	}
	return datesIntersect(w.ValidFrom, w.ValidTo, o.ValidFrom, o.ValidTo)
}

// FirstOverlap returns the indexes of the first pair of overlapping windows,
// or -1, -1 when none overlap.
func FirstOverlap(windows []WeeklyWindow) (int, int) {
	for i := range windows {
		for j := i + 1; j < len(windows); j++ {
			if windows[i].Overlaps(windows[j]) {
				return i, j
			}
		}
	}
	return -1, -1
}

// datesIntersect treats zero times as open ends; both ranges are inclusive.
func datesIntersect(aFrom, aTo, bFrom, bTo time.Time) bool {
	if !aTo.IsZero() && !bFrom.IsZero() && aTo.Before(bFrom) {
		return false
	}
	if !bTo.IsZero() && !aFrom.IsZero() && bTo.Before(aFrom) {
		return false
	}
	return true
}

// validOn reports whether the window applies on a local calendar date
// (given as midnight UTC, like ValidFrom/ValidTo).
func (w WeeklyWindow) validOn(date time.Time) bool {
	if !w.ValidFrom.IsZero() && date.Before(dateOf(w.ValidFrom)) {
		return false
	}
	if !w.ValidTo.IsZero() && date.After(dateOf(w.ValidTo)) {
		return false
	}
	return true
}
