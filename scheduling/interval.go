package scheduling

import "time"

// Interval is a half-open span of instants [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Overlaps reports whether a and b share an instant; touching intervals
// (one ends when the other starts) do not overlap.
func (a Interval) Overlaps(b Interval) bool {
	return a.Start.Before(b.End) && b.Start.Before(a.End)
}

// Pad widens the interval by d on both sides (the buffer between lessons).
func (a Interval) Pad(d time.Duration) Interval {
	return Interval{Start: a.Start.Add(-d), End: a.End.Add(d)}
}

// Valid reports whether the interval is non-empty.
func (a Interval) Valid() bool {
	return a.End.After(a.Start)
}
