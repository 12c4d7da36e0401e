package scheduling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestRankAlternativesWritesOutOnlyTheBest holds the ranking, which scores
// every slot and writes reasons for the best Limit only, to the plain
// reading of the rule: every slot written out with its reasons, sorted
// (stably) by score then start, cut at Limit. Random requests, teachers,
// levels and limits; equal scores and starts across teachers included.
func TestRankAlternativesWritesOutOnlyTheBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	ranked := 0 // cases with more than one alternative: the order is tested
	for i := range 300 {
		own := testCalendar()
		own.Now = local(2026, 1, 20, 0, 0)
		var others []Candidate
		for j := range rng.IntN(5) {
			c := testCalendar()
			c.Now = own.Now
			c.Teacher.ID = fmt.Sprintf("U%d", j)
			c.Teacher.Lengths = [][]int{{30}, {45}, {30, 60}}[rng.IntN(3)]
			c.Teacher.Availability = []WeeklyWindow{{Weekday: time.Weekday(rng.IntN(7)), Start: Clock(9*60 + 15*rng.IntN(20)), End: 17 * 60}}
			others = append(others, Candidate{Calendar: c, Level: rng.IntN(2) == 0})
		}
		req := Request{Teacher: "T", Student: "S" + fmt.Sprint(rng.IntN(3)), Minutes: []int{30, 45}[rng.IntN(2)],
			Start: local(2026, 2, 2+rng.IntN(28), 15+rng.IntN(4), 15*rng.IntN(4))}
		q := AlternativesQuery{Request: req, Around: time.Duration(1+rng.IntN(14)) * 24 * time.Hour, Limit: rng.IntN(40)}
		got := RankAlternatives(own, others, q)
		want := rankEverySlot(own, others, q)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (%+v):\ngot  %+v\nwant %+v", i, q, got, want)
		}
		if len(want) > 1 {
			ranked++
		}
	}
	if ranked < 150 {
		t.Fatalf("only %d of 300 cases ranked more than one slot", ranked)
	}
}

// rankEverySlot is the ranking written out in full: each slot an
// Alternative with its reasons, then sorted and cut.
func rankEverySlot(own Calendar, others []Candidate, q AlternativesQuery) []Alternative {
	if q.Limit <= 0 {
		q.Limit = 5
	}
	req := q.Request
	from := req.Start.Add(-q.Around)
	if from.Before(own.Now) {
		from = own.Now
	}
	slotQuery := SlotQuery{From: from, To: req.Start.Add(q.Around), Minutes: req.Minutes}
	var out []Alternative
	collect := func(cal Calendar, base float64, reasons []string) {
		for _, s := range FittingSlots(cal, slotQuery, req) {
			score, why := proximity(req.Start.In(own.Zone), s.Start.In(own.Zone), true)
			out = append(out, Alternative{Teacher: cal.Teacher.ID, Start: s.Start, End: s.End,
				Score: math.Round((base+score)*10) / 10, Reasons: append(slices.Clone(reasons), why...)})
		}
	}
	collect(own, 100, []string{"same teacher"})
	for _, c := range others {
		if c.Calendar.Teacher.ID == req.Teacher || !slices.Contains(c.Calendar.Teacher.Lengths, req.Minutes) {
			continue
		}
		base, reasons := 50.0, []string{"teaches the instrument"}
		if c.Level {
			base += 10
			reasons = append(reasons, "teaches the student's level")
		}
		collect(c.Calendar, base, reasons)
	}
	slices.SortStableFunc(out, func(a, b Alternative) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return a.Start.Compare(b.Start)
	})
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// TestRankAlternativesSkipsTeachersWhoCannotRank: when the requested
// teacher's own slots fill the list with scores no other teacher's slot
// can reach, the others' free time is not asked for (at ten times the seed
// that was fifty teachers' month per check-conflicts); when they do not
// fill it, it is. Either way the answer is the full ranking's.
func TestRankAlternativesSkipsTeachersWhoCannotRank(t *testing.T) {
	own := testCalendar()
	var others []Candidate
	for j := range 3 {
		c := testCalendar()
		c.Teacher.ID = fmt.Sprintf("U%d", j)
		c.Teacher.Availability = []WeeklyWindow{{Weekday: time.Monday, Start: 9 * 60, End: 21 * 60}}
		others = append(others, Candidate{Calendar: c, Level: j == 0})
	}
	req := Request{Teacher: "T", Student: "S9", Minutes: 30, Start: local(2026, 2, 9, 16, 0)}
	for _, c := range []struct {
		name        string
		limit       int
		othersAsked bool
	}{
		{"own slots fill the list", 5, false},
		{"own slots do not fill it", 200, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			asked := map[string]int{}
			source := func(cal Calendar, q SlotQuery, r Request) []Interval {
				asked[cal.Teacher.ID]++
				return FittingSlots(cal, q, r)
			}
			q := AlternativesQuery{Request: req, Around: 14 * 24 * time.Hour, Limit: c.limit}
			got := RankAlternativesFrom(own, others, q, source)
			if want := rankEverySlot(own, others, q); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if asked["T"] != 1 {
				t.Fatalf("the requested teacher's slots asked for %d times, want once", asked["T"])
			}
			if n := len(asked) - 1; (n > 0) != c.othersAsked {
				t.Fatalf("%d other teachers asked for, want them asked: %v", n, c.othersAsked)
			}
		})
	}
}

// TestRankAlternativesNarrowsOthersToDaysThatCanRank: once the list is
// full, other teachers are asked only for the days near enough to the
// requested date to beat its last entry; the answer stays the full
// ranking's. Own calendars with few free slots, others free every day.
func TestRankAlternativesNarrowsOthersToDaysThatCanRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 9))
	narrowed := 0
	for i := range 400 {
		own := testCalendar()
		own.Now = local(2026, 1, 20, 0, 0)
		own.Teacher.Availability = []WeeklyWindow{{Weekday: time.Weekday(rng.IntN(7)), Start: Clock(9*60 + 15*rng.IntN(30)), End: 19 * 60}}
		var others []Candidate
		for j := range 1 + rng.IntN(4) {
			c := testCalendar()
			c.Now = own.Now
			c.Teacher.ID = fmt.Sprintf("U%d", j)
			c.Teacher.Lengths = []int{30, 45}
			for d := range 7 {
				c.Teacher.Availability = append(c.Teacher.Availability, WeeklyWindow{Weekday: time.Weekday(d), Start: Clock(8*60 + 15*rng.IntN(40)), End: 20 * 60})
			}
			others = append(others, Candidate{Calendar: c, Level: rng.IntN(2) == 0})
		}
		req := Request{Teacher: "T", Student: "S9", Minutes: []int{30, 45}[rng.IntN(2)],
			Start: local(2026, 2, 2+rng.IntN(28), 9+rng.IntN(10), 15*rng.IntN(4))}
		q := AlternativesQuery{Request: req, Around: time.Duration(3+rng.IntN(12)) * 24 * time.Hour, Limit: 1 + rng.IntN(8)}
		widest := q.Around * 2
		source := func(cal Calendar, sq SlotQuery, r Request) []Interval {
			if cal.Teacher.ID != "T" && sq.To.Sub(sq.From) < widest-2*24*time.Hour {
				narrowed++
			}
			return FittingSlots(cal, sq, r)
		}
		got := RankAlternativesFrom(own, others, q, source)
		if want := rankEverySlot(own, others, q); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (%+v):\ngot  %+v\nwant %+v", i, q, got, want)
		}
	}
	if narrowed < 20 {
		t.Fatalf("only %d narrowed asks: the cases do not show the narrowing", narrowed)
	}
}
