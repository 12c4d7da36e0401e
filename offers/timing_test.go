package offers

import (
	"testing"
	"time"
)

func TestDeadlines(t *testing.T) {
	now := time.Date(2031, 3, 3, 9, 0, 0, 0, time.UTC)
	tm := DefaultTiming
	cases := []struct {
		name      string
		start     time.Time
		ok        bool
		close, r2 time.Time
	}{
		{"a week ahead: open a day, second round after four hours", now.AddDate(0, 0, 7), true, now.Add(24 * time.Hour), now.Add(4 * time.Hour)},
		{"tomorrow evening: closes two hours before", now.Add(20 * time.Hour), true, now.Add(18 * time.Hour), now.Add(4 * time.Hour)},
		{"in three hours: one hour open, both rounds at once at the close", now.Add(3 * time.Hour), true, now.Add(time.Hour), now.Add(time.Hour)},
		{"exactly lead plus the minimum", now.Add(150 * time.Minute), true, now.Add(30 * time.Minute), now.Add(30 * time.Minute)},
		{"a minute short of it: not offered", now.Add(149 * time.Minute), false, time.Time{}, time.Time{}},
		{"in an hour: not offered", now.Add(time.Hour), false, time.Time{}, time.Time{}},
		{"already started: not offered", now.Add(-time.Minute), false, time.Time{}, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ok := tm.deadlines(c.start, now)
			if ok != c.ok || !d.Close.Equal(c.close) || !d.SecondRound.Equal(c.r2) {
				t.Errorf("got %+v ok=%v; want close %v, second round %v, ok=%v", d, ok, c.close, c.r2, c.ok)
			}
			if ok && !d.Close.Before(c.start) {
				t.Errorf("the offer closes at %v, not before the slot at %v", d.Close, c.start)
			}
		})
	}
}
