package matching

import (
	"slices"
	"testing"
	"time"

	"cedarheights/scheduling"
)

func TestFreeWeek(t *testing.T) {
	c := teacher("T", "Tess")
	c.Teacher.Availability = []scheduling.WeeklyWindow{
		win(time.Monday, "15:00", "17:00"), win(time.Monday, "16:30", "19:00"), // overlapping: merged
		win(time.Monday, "19:00", "20:00"),  // touching: merged
		win(time.Tuesday, "18:00", "17:00"), // invalid: ignored
	}
	c.Booked = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "16:30"), win(time.Monday, "19:40", "20:00")}
	w := freeWeek(c, 10*time.Minute, local(2026, 2, 1, 9, 0))
	want := []span{{hm(15, 0), hm(15, 50)}, {hm(16, 40), hm(19, 30)}}
	if !slices.Equal(w[time.Monday], want) {
		t.Errorf("monday %v, want %v", w[time.Monday], want)
	}
	if len(w[time.Tuesday]) != 0 {
		t.Errorf("tuesday %v", w[time.Tuesday])
	}
}

func TestAppliesInWeek(t *testing.T) {
	date := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	from := local(2026, 2, 1, 9, 0) // Sunday; that week's Monday is 2 Feb, its Saturday 7 Feb
	cases := []struct {
		name     string
		from, to time.Time
		want     bool
	}{
		{"open", time.Time{}, time.Time{}, true},
		{"starts on the day", date(2, 2), time.Time{}, true},
		{"starts the day after", date(2, 3), time.Time{}, false},
		{"ends on the day", time.Time{}, date(2, 2), true},
		{"ended the day before", time.Time{}, date(2, 1), false},
	}
	for _, tc := range cases {
		w := win(time.Monday, "15:00", "19:00")
		w.ValidFrom, w.ValidTo = tc.from, tc.to
		if got := appliesInWeek(w, from); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The Saturday of that week is 7 Feb, also in range.
	if !appliesInWeek(scheduling.WeeklyWindow{Weekday: time.Saturday, Start: 60, End: 120, ValidTo: date(2, 7)}, from) {
		t.Error("saturday 7 Feb should apply")
	}
}

func TestEarliestFit(t *testing.T) {
	spans := []span{{hm(15, 0), hm(15, 20)}, {hm(16, 10), hm(19, 0)}}
	cases := []struct {
		lo, hi  scheduling.Clock
		minutes int
		want    scheduling.Clock
		ok      bool
	}{
		{hm(15, 0), hm(16, 0), 30, 0, false},
		{hm(15, 0), hm(16, 0), 20, hm(15, 0), true},
		{hm(15, 0), hm(17, 0), 30, hm(16, 10), true},
		{hm(16, 30), hm(17, 0), 30, hm(16, 30), true},
		{hm(18, 45), hm(20, 0), 30, 0, false},
	}
	for _, tc := range cases {
		got, ok := earliestFit(spans, tc.lo, tc.hi, tc.minutes)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("earliestFit(%s, %s, %d) = %s %v, want %s %v", tc.lo, tc.hi, tc.minutes, got, ok, tc.want, tc.ok)
		}
	}
}
