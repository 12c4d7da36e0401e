package scheduling

import (
	"slices"
	"time"
)

// MaxSlotRange caps how far a free-slot search may reach.
const MaxSlotRange = 62 * 24 * time.Hour

// SlotQuery asks for free starts of a lesson of Minutes length between From
// and To, on a grid of Step within each availability window.
type SlotQuery struct {
	From    time.Time
	To      time.Time
	Minutes int
	Step    time.Duration
}

// FreeSlots lists the bookable lessons of the calendar's teacher in the
// query's range: availability minus lessons (with buffer), time off,
// closures and the past. Starts are wall-clock times in the academy's zone,
// so a 16:00 window stays 16:00 across daylight-saving changes.
func (c Calendar) FreeSlots(q SlotQuery) []Interval {
	step := q.Step
	if step <= 0 {
		step = 15 * time.Minute
	}
	length := time.Duration(q.Minutes) * time.Minute
	var out []Interval
	// Each day's slots are checked against the lessons near that day only:
	// Check reads every booking it is given, and a month's calendar holds
	// hundreds (at ten times the seed, checking each slot against them all
	// was most of deriving free time).
	near := c.nearBookings(length)

	first := q.From.In(c.Zone)
	last := q.To.In(c.Zone)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, c.Zone); !day.After(last); day = day.AddDate(0, 0, 1) {
		date := dateOf(day)
		dayCal := c
		dayCal.Bookings = near(day)
		// The teacher's own lessons (with the buffer) refuse most starts
		// of a busy day; those are skipped before the full Check.
		var busy []Interval
		for _, b := range dayCal.Bookings {
			if b.Teacher == c.Teacher.ID {
				busy = append(busy, b.Interval.Pad(c.Buffer))
			}
		}
		for _, w := range c.Teacher.Availability {
			if w.Weekday != day.Weekday() || !w.validOn(date) {
				continue
			}
			for at := w.Start; at+Clock(q.Minutes) <= w.End; at += Clock(step / time.Minute) {
				start := time.Date(day.Year(), day.Month(), day.Day(), int(at)/60, int(at)%60, 0, 0, c.Zone)
				if clockOf(start) != at {
					continue // the wall-clock time does not exist that day (DST gap)
				}
				span := Interval{Start: start.UTC(), End: start.Add(length).UTC()}
				if span.Start.Before(q.From) || span.End.After(q.To) {
					continue
				}
				if slices.ContainsFunc(busy, span.Overlaps) {
					continue // Check would find the teacher busy
				}
				req := Request{Teacher: c.Teacher.ID, Start: span.Start, Minutes: q.Minutes}
				if len(dayCal.blocking(req)) == 0 {
					out = append(out, span)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return out
}

// blocking is Check without the profile rules (instrument, length), which a
// slot search has already settled by choosing the teacher and length.
func (c Calendar) blocking(r Request) []Conflict {
	var out []Conflict
	for _, k := range c.Check(r) {
		if k.Reason != ReasonInstrumentNotTaught && k.Reason != ReasonLengthNotOffered {
			out = append(out, k)
		}
	}
	return out
}

// nearBookings returns, for a local midnight, the calendar's bookings that
// could touch a slot of up to length starting that day (buffer included):
// a superset of those Check would find, in the calendar's order kept
// within the day's part.
func (c Calendar) nearBookings(length time.Duration) func(day time.Time) []Booking {
	sorted := slices.Clone(c.Bookings)
	slices.SortStableFunc(sorted, func(a, b Booking) int { return a.Start.Compare(b.Start) })
	var longest time.Duration
	for _, b := range sorted {
		longest = max(longest, b.End.Sub(b.Start))
	}
	return func(day time.Time) []Booking {
		// A slot starting on day lies within [day, day + 25 h + length]
		// (25: a day made longer by a DST change); a booking touches it
		// only if, padded by the buffer, it overlaps that.
		lo := day.Add(-c.Buffer)
		hi := day.Add(25*time.Hour + length + c.Buffer)
		first, _ := slices.BinarySearchFunc(sorted, lo.Add(-longest), func(b Booking, t time.Time) int {
			if b.Start.After(t) {
				return 1
			}
			return -1
		})
		last, _ := slices.BinarySearchFunc(sorted, hi, func(b Booking, t time.Time) int {
			if b.Start.Before(t) {
				return -1
			}
			return 1
		})
		return sorted[first:max(first, last)]
	}
}
