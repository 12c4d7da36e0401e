package scheduling

import (
	"strings"
	"testing"
	"time"
)

func TestRescheduleCheck(t *testing.T) {
	now := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	lesson := func(in time.Duration, minutes int) Interval {
		start := now.Add(in)
		return Interval{Start: start, End: start.Add(time.Duration(minutes) * time.Minute)}
	}
	const notice = 24 * time.Hour
	week := 7 * 24 * time.Hour
	cases := []struct {
		name     string
		by       Mover
		from, to Interval
		code     string // "" allowed
		field    string
		words    string // part of the message
	}{
		{"family, a week ahead", MoverFamily, lesson(week, 30), lesson(week+time.Hour, 30), "", "", ""},
		{"family, exactly the notice", MoverFamily, lesson(notice, 30), lesson(week, 30), "", "", ""},
		{"family, a minute short", MoverFamily, lesson(notice-time.Minute, 30), lesson(week, 30), CodeMoveTooLate, "start", "up to 24 hours before it starts; this one starts in 23 hours 59 minutes"},
		{"family, five hours ahead", MoverFamily, lesson(5*time.Hour, 30), lesson(week, 30), CodeMoveTooLate, "start", "starts in 5 hours."},
		{"family, started", MoverFamily, lesson(-time.Minute, 30), lesson(week, 30), CodeMoveTooLate, "start", "already started"},
		{"family, earlier in the day", MoverFamily, lesson(week, 30), lesson(week-3*time.Hour, 30), "", "", ""},
		{"family, longer", MoverFamily, lesson(week, 30), lesson(week, 45), CodeLengthIsKept, "end", "(30 minutes)"},
		{"family, late and longer", MoverFamily, lesson(time.Hour, 60), lesson(week, 30), CodeLengthIsKept, "end", "(1 hour)"},
		{"admin, five hours ahead", MoverAdmin, lesson(5*time.Hour, 30), lesson(week, 45), "", "", ""},
		{"Go code, started", MoverSystem, lesson(-time.Hour, 30), lesson(week, 30), "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Reschedule{By: c.by, From: c.from, To: c.to, Now: now, Notice: notice}.Check()
			switch {
			case c.code == "" && r != nil:
				t.Fatalf("refused: %+v", r)
			case c.code == "":
			case r == nil:
				t.Fatalf("allowed, want %s", c.code)
			case r.Code != c.code || r.Field != c.field || r.Forbidden || !strings.Contains(r.Message, c.words):
				t.Fatalf("%+v, want %s on %s saying %q", r, c.code, c.field, c.words)
			}
		})
	}
}

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour:                  "24 hours",
		48 * time.Hour:                  "2 days",
		49 * time.Hour:                  "49 hours",
		time.Hour:                       "1 hour",
		90 * time.Minute:                "1 hour 30 minutes",
		45*time.Minute + 59*time.Second: "45 minutes",
		time.Minute:                     "1 minute",
		30 * time.Second:                "less than a minute",
		-time.Hour:                      "less than a minute",
		24*time.Hour - 2*time.Second:    "23 hours 59 minutes",
	} {
		if got := durationWords(d); got != want {
			t.Errorf("durationWords(%v) = %q, want %q", d, got, want)
		}
	}
}
