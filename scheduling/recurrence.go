package scheduling

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// MaxOccurrences caps one series (a school year of weekly lessons fits).
const MaxOccurrences = 60

// Recurrence describes a weekly series: either a raw RRULE (without DTSTART)
// or Count / Until. Until is an instant; occurrences starting after it are
// dropped.
type Recurrence struct {
	RRule string
	Count int
	Until time.Time
}

// Recurrence errors, attached by callers to the offending field.
var (
	ErrRecurrenceEmpty   = errors.New("give a count, an until date or an RRULE")
	ErrRecurrenceTooLong = fmt.Errorf("a series has at most %d occurrences", MaxOccurrences)
	ErrRecurrenceNone    = errors.New("the series has no occurrence from its start on")
	ErrRecurrenceFreq    = errors.New("lessons repeat at most daily: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
	ErrRecurrenceSpan    = fmt.Errorf("a series spans at most %d years", MaxSpanYears)
)

// MaxSpanYears bounds how far a series is expanded: rrule-go otherwise
// walks a rule that never matches (BYMONTH=2;BYMONTHDAY=30) up to the year
// 9999, a second of CPU per request.
const MaxSpanYears = 10

// Occurrences expands the series from first (its first start). Expansion
// happens in the academy's zone, so every lesson keeps first's wall-clock
// time across daylight-saving changes; the results are UTC instants.
func (r Recurrence) Occurrences(first time.Time, zone *time.Location) ([]time.Time, error) {
	local := first.In(zone)
	var opt *rrule.ROption
	if strings.TrimSpace(r.RRule) != "" {
		parsed, err := rrule.StrToROption(strings.TrimPrefix(strings.TrimSpace(r.RRule), "RRULE:"))
		if err != nil {
			return nil, fmt.Errorf("invalid RRULE: %w", err)
		}
		opt = parsed
		if opt.Freq > rrule.DAILY { // HOURLY, MINUTELY, SECONDLY
			return nil, ErrRecurrenceFreq
		}
	} else {
		if r.Count <= 0 && r.Until.IsZero() {
			return nil, ErrRecurrenceEmpty
		}
		opt = &rrule.ROption{Freq: rrule.WEEKLY, Count: r.Count}
	}
	opt.Dtstart = local
	if !r.Until.IsZero() {
		opt.Until = r.Until.In(zone)
	}
	if opt.Count == 0 && opt.Until.IsZero() {
		return nil, ErrRecurrenceEmpty
	}
	if opt.Count > MaxOccurrences {
		return nil, ErrRecurrenceTooLong
	}
	horizon := local.AddDate(MaxSpanYears, 0, 0)
	bounded := opt.Until.IsZero() || opt.Until.After(horizon)
	if bounded {
		opt.Until = horizon
	}
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("invalid recurrence: %w", err)
	}

	var out []time.Time
	next := rule.Iterator()
	for t, ok := next(); ok; t, ok = next() {
		if len(out) == MaxOccurrences {
			return nil, ErrRecurrenceTooLong
		}
		out = append(out, t.UTC())
	}
	switch {
	case bounded && opt.Count > 0 && len(out) < opt.Count:
		return nil, ErrRecurrenceSpan
	case len(out) == 0:
		// a rule that never matches, or an until before the start: the
		// routes book the series' first start, so it must have one
		return nil, ErrRecurrenceNone
	}
	return out, nil
}

// Occurrence is one planned lesson of a series in a dry run.
type Occurrence struct {
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Status    string     `json:"status"` // "created" or "skipped"
	Conflicts []Conflict `json:"conflicts,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// Occurrence statuses.
const (
	OccurrenceCreated = "created"
	OccurrenceSkipped = "skipped"
)

// PlanSeries checks each start against the calendar and against the series'
// own earlier occurrences. Every occurrence is checked, not just the first
// few, and an occurrence whose UTC offset differs from the first's carries a
// daylight-saving note.
func (c Calendar) PlanSeries(r Request, starts []time.Time) []Occurrence {
	out := make([]Occurrence, 0, len(starts))
	cal := c
	cal.Bookings = append([]Booking(nil), c.Bookings...)
	var firstOffset int
	for i, start := range starts {
		req := r
		req.Start = start
		span := req.Interval()
		o := Occurrence{Start: span.Start, End: span.End, Status: OccurrenceCreated}
		_, offset := start.In(c.Zone).Zone()
		if i == 0 {
			firstOffset = offset
		} else if offset != firstOffset {
			o.Note = fmt.Sprintf("daylight saving: UTC offset %s (was %s); local time stays %s",
				formatOffset(offset), formatOffset(firstOffset), clockOf(start.In(c.Zone)))
		}
		if conflicts := cal.Check(req); len(conflicts) > 0 {
			o.Status = OccurrenceSkipped
			o.Conflicts = conflicts
		} else {
			cal.Bookings = append(cal.Bookings, Booking{Teacher: r.Teacher, Student: r.Student, Room: r.Room, Interval: span})
		}
		out = append(out, o)
	}
	return out
}

func formatOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	return fmt.Sprintf("%s%02d:%02d", sign, seconds/3600, seconds%3600/60)
}
