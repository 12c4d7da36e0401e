package matching

import (
	"slices"
	"time"

	"cedarheights/scheduling"
)

// span is a stretch of free time within one day, [start, end).
type span struct{ start, end scheduling.Clock }

// week holds the free spans of each weekday (indexed by time.Weekday),
// sorted and disjoint.
type week [7][]span

// freeWeek is the teacher's availability minus its weekly lessons, each
// widened by the buffer. from's local date picks which availability windows
// apply: those valid on their weekday's date in the week starting then.
func freeWeek(c Candidate, buffer time.Duration, from time.Time) week {
	var w week
	for _, a := range c.Teacher.Availability {
		if validWindow(a) && appliesInWeek(a, from) {
			w[a.Weekday] = append(w[a.Weekday], span{a.Start, a.End})
		}
	}
	for d := range w {
		w[d] = merge(w[d])
	}
	pad := scheduling.Clock(buffer / time.Minute)
	for _, b := range c.Booked {
		if validWindow(b) {
			w[b.Weekday] = subtract(w[b.Weekday], span{b.Start - pad, b.End + pad})
		}
	}
	return w
}

// appliesInWeek reports whether the window is valid on the date its weekday
// falls on in the seven days from from's local date.
func appliesInWeek(a scheduling.WeeklyWindow, from time.Time) bool {
	y, m, d := from.Date()
	offset := (int(a.Weekday) - int(from.Weekday()) + 7) % 7
	date := time.Date(y, m, d+offset, 0, 0, 0, 0, time.UTC)
	if !a.ValidFrom.IsZero() && date.Before(dateOf(a.ValidFrom)) {
		return false
	}
	return a.ValidTo.IsZero() || !date.After(dateOf(a.ValidTo))
}

// dateOf reads a stored validity date (midnight UTC) as a calendar date.
func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func merge(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.start - b.start) })
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

func subtract(spans []span, cut span) []span {
	var out []span
	for _, s := range spans {
		if cut.end <= s.start || s.end <= cut.start {
			out = append(out, s)
			continue
		}
		if s.start < cut.start {
			out = append(out, span{s.start, cut.start})
		}
		if cut.end < s.end {
			out = append(out, span{cut.end, s.end})
		}
	}
	return out
}

// earliestFit is the first start at or after lo at which a lesson of
// minutes lies inside one free span and ends by hi.
func earliestFit(spans []span, lo, hi scheduling.Clock, minutes int) (scheduling.Clock, bool) {
	for _, s := range spans {
		start := max(s.start, lo)
		if start+scheduling.Clock(minutes) <= min(s.end, hi) {
			return start, true
		}
	}
	return 0, false
}

// freeAt reports whether a lesson starting at start is wholly free.
func freeAt(spans []span, start scheduling.Clock, minutes int) bool {
	for _, s := range spans {
		if s.start <= start && start+scheduling.Clock(minutes) <= s.end {
			return true
		}
	}
	return false
}

// overlapMinutes counts the free minutes between lo and hi.
func overlapMinutes(spans []span, lo, hi scheduling.Clock) int {
	n := 0
	for _, s := range spans {
		if a, b := max(s.start, lo), min(s.end, hi); a < b {
			n += int(b - a)
		}
	}
	return n
}
