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

	first := q.From.In(c.Zone)
	last := q.To.In(c.Zone)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, c.Zone); !day.After(last); day = day.AddDate(0, 0, 1) {
		date := dateOf(day)
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
				req := Request{Teacher: c.Teacher.ID, Start: span.Start, Minutes: q.Minutes}
				if len(c.blocking(req)) == 0 {
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
