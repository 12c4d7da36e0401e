package scheduling

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Alternative is a free slot offered instead of a requested time, with a
// score (higher is better) and the reasons behind it.
type Alternative struct {
	Teacher string    `json:"teacher"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Score   float64   `json:"score"`
	Reasons []string  `json:"reasons"`
}

// Candidate is another teacher who could take the lesson, with its
// calendar (which must include the student's bookings).
type Candidate struct {
	Calendar Calendar
	// Level reports whether the teacher teaches the student's level.
	Level bool
}

// AlternativesQuery describes the search around a refused request.
type AlternativesQuery struct {
	Request Request
	// Around bounds the search: this long before and after the request.
	Around time.Duration
	Limit  int
}

// RankAlternatives returns the best free slots: the same teacher first (same
// weekday and nearby time score highest, then other days), then other
// qualified teachers. own is the requested teacher's calendar; others are
// teachers who teach the instrument.
func RankAlternatives(own Calendar, others []Candidate, q AlternativesQuery) []Alternative {
	return RankAlternativesFrom(own, others, q, FittingSlots)
}

// SlotSource lists the slots in q of cal's teacher where r fits (r taken
// to that teacher and each slot's start): what alternatives are made of.
type SlotSource func(cal Calendar, q SlotQuery, r Request) []Interval

// FittingSlots is the SlotSource that derives them from the calendar: its
// free slots, less those where the request's student or room is busy.
func FittingSlots(cal Calendar, q SlotQuery, r Request) []Interval {
	var out []Interval
	for _, s := range cal.FreeSlots(q) {
		r.Teacher, r.Start = cal.Teacher.ID, s.Start
		if len(cal.blocking(r)) == 0 {
			out = append(out, s)
		}
	}
	return out
}

// RankAlternativesFrom is RankAlternatives with the slots coming from
// source (the free-time cache, for instance); calendars then need only
// their zone, clock and teacher's id and lengths.
func RankAlternativesFrom(own Calendar, others []Candidate, q AlternativesQuery, source SlotSource) []Alternative {
	if q.Limit <= 0 {
		q.Limit = 5
	}
	if q.Around <= 0 {
		q.Around = 14 * 24 * time.Hour
	}
	req := q.Request
	from := req.Start.Add(-q.Around)
	if from.Before(own.Now) {
		from = own.Now
	}
	slotQuery := SlotQuery{From: from, To: req.Start.Add(q.Around), Minutes: req.Minutes}

	// Every fitting slot is scored, but only the best Limit are kept and
	// written out with their reasons: a wide search scores thousands of
	// slots (tens of thousands at ten times the seed, where sorting them
	// all was most of check-conflicts' time). best stays ordered as a
	// stable sort by score, then start, would order it: a slot goes after
	// the kept ones it ties with, as it was scored after them.
	type scored struct {
		teacher string
		slot    Interval
		score   float64
		base    []string
	}
	before := func(a, b scored) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		return a.slot.Start.Before(b.slot.Start)
	}
	best := make([]scored, 0, min(q.Limit, 64))
	want := req.Start.In(own.Zone)
	collect := func(cal Calendar, base float64, reasons []string, slotQuery SlotQuery) {
		for _, s := range source(cal, slotQuery, req) {
			score, _ := proximity(want, s.Start.In(own.Zone), false)
			c := scored{teacher: cal.Teacher.ID, slot: s, score: math.Round((base+score)*10) / 10, base: reasons}
			if len(best) == q.Limit && !before(c, best[len(best)-1]) {
				continue
			}
			i := len(best)
			for i > 0 && before(c, best[i-1]) {
				i--
			}
			if len(best) < q.Limit {
				best = append(best, scored{})
			}
			copy(best[i+1:], best[i:])
			best[i] = c
		}
	}

	collect(own, 100, []string{"same teacher"}, slotQuery)
	for _, c := range others {
		if c.Calendar.Teacher.ID == req.Teacher || !slices.Contains(c.Calendar.Teacher.Lengths, req.Minutes) {
			continue
		}
		base, reasons := 50.0, []string{"teaches the instrument"}
		if c.Level {
			base += 10
			reasons = append(reasons, "teaches the student's level")
		}
		// A slot scores at most base+maxProximity: when every kept slot
		// scores more, none of this teacher's could be kept, and its free
		// time is not asked for (at ten times the seed, deriving fifty
		// other teachers' month was most of check-conflicts' work, and the
		// requested teacher's own slots nearly always fill the list).
		//
		// Likewise a slot loses a point a day away from the requested
		// date: once the list is full, only the days near enough to beat
		// its last are asked for (0.05: scores are rounded to tenths).
		near := slotQuery
		if len(best) == q.Limit {
			last := best[len(best)-1].score
			if last > base+maxProximity {
				continue
			}
			if near = within(slotQuery, want, int(base+maxProximity-last+0.05)); !near.To.After(near.From) {
				continue
			}
		}
		collect(c.Calendar, base, reasons, near)
	}
	all := best

	var out []Alternative
	for _, a := range all {
		_, why := proximity(want, a.slot.Start.In(own.Zone), true)
		out = append(out, Alternative{
			Teacher: a.teacher, Start: a.slot.Start, End: a.slot.End, Score: a.score,
			Reasons: append(slices.Clone(a.base), why...),
		})
	}
	return out
}

// within narrows q to the local dates at most days from want's.
func within(q SlotQuery, want time.Time, days int) SlotQuery {
	day := time.Date(want.Year(), want.Month(), want.Day(), 0, 0, 0, 0, want.Location())
	if from := day.AddDate(0, 0, -days); from.After(q.From) {
		q.From = from
	}
	if to := day.AddDate(0, 0, days+1); to.Before(q.To) {
		q.To = to
	}
	return q
}

// maxProximity is the most proximity scores: the same weekday, time and
// date.
const maxProximity = 20

// proximity scores how close a slot is to the requested local time (the
// same weekday and time of day matter more than the date) and, with
// explain, says so in words: ranking scores every free slot, and only the
// few shown need their reasons written.
func proximity(want, got time.Time, explain bool) (float64, []string) {
	var reasons []string
	score := 0.0
	days := math.Abs(float64(dateOf(got).Sub(dateOf(want)) / (24 * time.Hour)))
	minutes := math.Abs(float64(clockOf(got) - clockOf(want)))
	if got.Weekday() == want.Weekday() {
		score += maxProximity // the only bonus
		if explain {
			reasons = append(reasons, "same weekday")
		}
	}
	score -= minutes / 15 // a quarter hour costs one point
	score -= days         // a day costs one point
	if !explain {
		return score, nil
	}
	if minutes == 0 {
		reasons = append(reasons, "same time of day")
	} else {
		reasons = append(reasons, fmt.Sprintf("%d min from the requested time", int(minutes)))
	}
	if days != 0 {
		reasons = append(reasons, fmt.Sprintf("%d days away", int(days)))
	}
	return score, reasons
}
