package scheduling

import (
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	cases := []struct {
		in   string
		want Clock
		ok   bool
	}{
		{"00:00", 0, true},
		{"09:30", 570, true},
		{"23:59", 1439, true},
		{"24:00", 1440, true},
		{"24:01", 0, false},
		{"9:30", 0, false},
		{"09:60", 0, false},
		{"ab:cd", 0, false},
		{"", 0, false},
		{"-1:00", 0, false},
		{" 9:30", 0, false},
	}
	for _, c := range cases {
		got, err := ParseClock(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseClock(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok && got.String() != c.in {
			t.Errorf("String() = %q, want %q", got.String(), c.in)
		}
	}
}

func TestWeeklyWindowOverlaps(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	mon := func(start, end Clock) WeeklyWindow { return WeeklyWindow{Weekday: time.Monday, Start: start, End: end} }
	cases := []struct {
		name string
		a, b WeeklyWindow
		want bool
	}{
		{"same window", mon(900, 1000), mon(900, 1000), true},
		{"partial", mon(900, 1000), mon(950, 1100), true},
		{"contained", mon(900, 1200), mon(1000, 1100), true},
		{"touching", mon(900, 1000), mon(1000, 1100), false},
		{"other weekday", mon(900, 1000), WeeklyWindow{Weekday: time.Tuesday, Start: 900, End: 1000}, false},
		{"disjoint validity", WeeklyWindow{Weekday: 1, Start: 900, End: 1000, ValidTo: day("2026-01-31")}, WeeklyWindow{Weekday: 1, Start: 900, End: 1000, ValidFrom: day("2026-02-01")}, false},
		{"shared validity day", WeeklyWindow{Weekday: 1, Start: 900, End: 1000, ValidTo: day("2026-02-01")}, WeeklyWindow{Weekday: 1, Start: 900, End: 1000, ValidFrom: day("2026-02-01")}, true},
		{"open ended", WeeklyWindow{Weekday: 1, Start: 900, End: 1000, ValidFrom: day("2026-02-01")}, mon(930, 940), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.Overlaps(c.b); got != c.want {
				t.Fatalf("a.Overlaps(b) = %v, want %v", got, c.want)
			}
			if got := c.b.Overlaps(c.a); got != c.want {
				t.Fatalf("b.Overlaps(a) = %v, want %v", got, c.want)
			}
		})
	}
}

func TestWeeklyWindowValidate(t *testing.T) {
	if err := (WeeklyWindow{Start: 600, End: 600}).Validate(); err != ErrWindowEndBeforeStart {
		t.Fatalf("empty window: %v", err)
	}
	w := WeeklyWindow{Start: 600, End: 660, ValidFrom: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), ValidTo: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	if err := w.Validate(); err != ErrWindowValidity {
		t.Fatalf("inverted validity: %v", err)
	}
	if err := (WeeklyWindow{Start: 600, End: 1440}).Validate(); err != nil {
		t.Fatalf("valid window: %v", err)
	}
}

func TestFirstOverlap(t *testing.T) {
	ws := []WeeklyWindow{{Weekday: 1, Start: 600, End: 700}, {Weekday: 2, Start: 600, End: 700}, {Weekday: 1, Start: 650, End: 800}}
	if i, j := FirstOverlap(ws); i != 0 || j != 2 {
		t.Fatalf("FirstOverlap = %d,%d", i, j)
	}
	if i, j := FirstOverlap(ws[:2]); i != -1 || j != -1 {
		t.Fatalf("FirstOverlap = %d,%d", i, j)
	}
}
