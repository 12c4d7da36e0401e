package scheduling

import (
	"testing"
	"time"
)

// FuzzFreeSlots: whatever the lessons and windows, a free slot never
// overlaps a lesson (with buffer) and never leaves the availability.
func FuzzFreeSlots(f *testing.F) {
	f.Add(uint16(900), uint16(240), uint8(1), int64(0), uint16(60), uint8(30), uint8(10), uint8(15))
	f.Add(uint16(90), uint16(120), uint8(0), int64(3*24*60), uint16(20), uint8(45), uint8(0), uint8(5))   // DST spring Sunday
	f.Add(uint16(60), uint16(120), uint8(0), int64(245*24*60), uint16(0), uint8(60), uint8(5), uint8(30)) // DST fall Sunday
	f.Fuzz(func(t *testing.T, winStart, winLen uint16, weekday uint8, lessonOffsetMin int64, lessonLen uint16, minutes, buffer, step uint8) {
		if minutes == 0 || step == 0 || lessonLen == 0 {
			return
		}
		ws := Clock(winStart % 1440)
		we := ws + Clock(winLen%(1440-uint16(ws)+1))
		base := local(2026, 3, 1, 0, 0)
		lesson := base.Add(time.Duration(lessonOffsetMin%(40*24*60)) * time.Minute)
		cal := Calendar{
			Zone: vancouver, Buffer: time.Duration(buffer) * time.Minute, Now: base.Add(-time.Hour),
			Teacher:  Teacher{ID: "T", Lengths: []int{int(minutes)}, Availability: []WeeklyWindow{{Weekday: time.Weekday(weekday % 7), Start: ws, End: we}}},
			Bookings: []Booking{{ID: "L", Teacher: "T", Interval: Interval{Start: lesson, End: lesson.Add(time.Duration(lessonLen) * time.Minute)}}},
		}
		for _, s := range cal.FreeSlots(SlotQuery{From: base, To: base.AddDate(0, 0, 14), Minutes: int(minutes), Step: time.Duration(step) * time.Minute}) {
			if s.Overlaps(cal.Bookings[0].Interval.Pad(cal.Buffer)) {
				t.Fatalf("slot %v overlaps lesson %v", s, cal.Bookings[0].Interval)
			}
			if !cal.withinAvailability(s) {
				t.Fatalf("slot %v outside availability %v", s, cal.Teacher.Availability)
			}
			if s.End.Sub(s.Start) != time.Duration(minutes)*time.Minute {
				t.Fatalf("slot %v has the wrong length", s)
			}
		}
	})
}

// FuzzIntervalOverlap: Overlaps is symmetric and agrees with a direct
// definition on minute offsets.
func FuzzIntervalOverlap(f *testing.F) {
	f.Add(int64(0), int64(30), int64(30), int64(60))
	f.Add(int64(0), int64(30), int64(15), int64(45))
	f.Fuzz(func(t *testing.T, a0, a1, b0, b1 int64) {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		mk := func(x, y int64) Interval {
			x, y = x%100000, y%100000
			return Interval{Start: base.Add(time.Duration(x) * time.Minute), End: base.Add(time.Duration(y) * time.Minute)}
		}
		a, b := mk(a0, a1), mk(b0, b1)
		if a.Overlaps(b) != b.Overlaps(a) {
			t.Fatal("not symmetric")
		}
		want := a.Valid() && b.Valid() && a.Start.Before(b.End) && b.Start.Before(a.End)
		if a.Valid() && b.Valid() && a.Overlaps(b) != want {
			t.Fatalf("%v %v", a, b)
		}
	})
}

// FuzzParseClock: ParseClock accepts exactly HH:MM within a day, and what
// it accepts formats back to the same text.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"00:00", "16:30", "24:00", "24:01", "23:60", "9:30", "09:3", "ab:cd", "", "12:345", "１２:００"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClock(s)
		if err != nil {
			if err != ErrInvalidClock {
				t.Fatalf("%q: error %v is not ErrInvalidClock", s, err)
			}
			return
		}
		if c < 0 || c > 24*60 {
			t.Fatalf("%q read as %d minutes", s, c)
		}
		if c.String() != s {
			t.Fatalf("%q formats back as %q", s, c.String())
		}
	})
}

// FuzzRecurrence: whatever RRULE, count and until a client sends, expanding
// a series ends (no hang), never panics, and what it returns is a series
// the routes can book: at most MaxOccurrences UTC instants, strictly
// increasing, none before the first start, none after until.
func FuzzRecurrence(f *testing.F) {
	for _, s := range []string{
		"FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3", "FREQ=DAILY", "FREQ=WEEKLY;UNTIL=20270101T000000Z",
		"FREQ=SECONDLY;UNTIL=99991231T235959Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z",
		"FREQ=WEEKLY;INTERVAL=0;COUNT=2", "FREQ=WEEKLY;COUNT=-1", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=61", "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR;COUNT=4",
		"FREQ=WEEKLY;COUNT=999999999999999999999", "DTSTART:20260101T000000Z\nRRULE:FREQ=WEEKLY;COUNT=2", "FREQ=HOURLY;BYHOUR=25;COUNT=3", "",
	} {
		f.Add(s, 0, int64(0))
	}
	f.Add("", 4, int64(0))
	f.Add("", 0, int64(30*24*60))
	f.Add("", 0, int64(-60))
	f.Add("FREQ=MINUTELY", 0, int64(365*24*60*100))
	f.Fuzz(func(t *testing.T, rule string, count int, untilMin int64) {
		first := local(2026, 3, 2, 16, 0)
		r := Recurrence{RRule: rule, Count: count}
		if untilMin != 0 {
			r.Until = first.Add(time.Duration(untilMin%(200*365*24*60)) * time.Minute)
		}
		got, err := r.Occurrences(first.UTC(), vancouver)
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > MaxOccurrences {
			t.Fatalf("%d occurrences without an error", len(got))
		}
		for i, at := range got {
			if at.Location() != time.UTC {
				t.Fatalf("occurrence %v not in UTC", at)
			}
			if at.Before(first) {
				t.Fatalf("occurrence %v before the first start %v", at, first)
			}
			if !r.Until.IsZero() && at.After(r.Until) {
				t.Fatalf("occurrence %v after until %v", at, r.Until)
			}
			if i > 0 && !at.After(got[i-1]) {
				t.Fatalf("occurrences not increasing: %v then %v", got[i-1], at)
			}
		}
	})
}
