package scheduling

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestIntervalIndexAnswersAsOverlaps: the index check-conflicts filters
// free slots with answers what comparing the slot with every interval
// answers, for random sets with overlaps, touching ends, equal starts and
// empty intervals.
func TestIntervalIndexAnswersAsOverlaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	base := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(rng.IntN(96)) * 15 * time.Minute) }
	span := func() Interval {
		s := at()
		return Interval{Start: s, End: s.Add(time.Duration(rng.IntN(9)) * 15 * time.Minute)}
	}
	for c := range 2000 {
		set := make([]Interval, rng.IntN(12))
		for i := range set {
			set[i] = span()
		}
		x := NewIntervalIndex(set)
		for range 20 {
			s := span()
			want := false
			for _, v := range set {
				want = want || v.Overlaps(s)
			}
			if got := x.Overlaps(s); got != want {
				t.Fatalf("case %d: %v against %v: %v, want %v", c, s, set, got, want)
			}
		}
	}
}
