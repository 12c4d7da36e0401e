package scheduling

import (
	"slices"
	"time"
)

// IntervalIndex answers whether an interval overlaps any of a set in
// O(log n): the set sorted by start, with the latest end so far. Those
// that start before s ends overlap s iff the latest of their ends is after
// s's start (Interval.Overlaps, touching ends apart).
type IntervalIndex struct {
	starts, maxEnds []time.Time
}

func NewIntervalIndex(intervals []Interval) IntervalIndex {
	sorted := slices.Clone(intervals)
	slices.SortFunc(sorted, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	x := IntervalIndex{starts: make([]time.Time, len(sorted)), maxEnds: make([]time.Time, len(sorted))}
	for i, v := range sorted {
		x.starts[i], x.maxEnds[i] = v.Start, v.End
		if i > 0 && x.maxEnds[i-1].After(v.End) {
			x.maxEnds[i] = x.maxEnds[i-1]
		}
	}
	return x
}

func (x IntervalIndex) Empty() bool { return len(x.starts) == 0 }

func (x IntervalIndex) Overlaps(s Interval) bool {
	k, _ := slices.BinarySearchFunc(x.starts, s.End, func(start, end time.Time) int {
		if start.Before(end) {
			return -1
		}
		return 1
	})
	return k > 0 && x.maxEnds[k-1].After(s.Start)
}
