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
