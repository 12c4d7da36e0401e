package scheduling

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestFreeSlots(t *testing.T) {
	cal := testCalendar()
	// Monday 2 Feb: window 15:00–19:00, L1 16:00–16:30 with a 10-min buffer.
	got := cal.FreeSlots(SlotQuery{From: local(2026, 2, 2, 0, 0), To: local(2026, 2, 3, 0, 0), Minutes: 30, Step: 30 * time.Minute})
	var starts []string
	for _, s := range got {
		starts = append(starts, clockOf(s.Start.In(vancouver)).String())
	}
	want := []string{"15:00", "17:00", "17:30", "18:00", "18:30"}
	if len(starts) != len(want) {
		t.Fatalf("starts = %v, want %v", starts, want)
	}
	for i := range want {
		if starts[i] != want[i] {
			t.Fatalf("starts = %v, want %v", starts, want)
		}
	}
}

func TestFreeSlotsSkipTimeOffClosuresAndPast(t *testing.T) {
	cal := testCalendar()
	q := func(from, to time.Time) int {
		return len(cal.FreeSlots(SlotQuery{From: from, To: to, Minutes: 30, Step: 30 * time.Minute}))
	}
	if n := q(local(2026, 2, 16, 0, 0), local(2026, 2, 17, 0, 0)); n != 0 {
		t.Errorf("time off day has %d slots", n)
	}
	if n := q(local(2026, 3, 23, 0, 0), local(2026, 3, 24, 0, 0)); n != 0 {
		t.Errorf("closure day has %d slots", n)
	}
	cal.Now = local(2026, 2, 9, 17, 0)
	if n := q(local(2026, 2, 9, 0, 0), local(2026, 2, 10, 0, 0)); n != 4 {
		t.Errorf("slots after now = %d, want 4 (17:00 … 18:30)", n)
	}
}

func TestFreeSlotsAcrossDST(t *testing.T) {
	cal := testCalendar()
	cal.Bookings = nil
	got := cal.FreeSlots(SlotQuery{From: local(2026, 3, 2, 0, 0), To: local(2026, 3, 10, 0, 0), Minutes: 60, Step: time.Hour})
	if len(got) != 8 { // 15, 16, 17, 18 on 2 and 9 March
		t.Fatalf("got %d slots", len(got))
	}
	for _, s := range got {
		if l := s.Start.In(vancouver); l.Hour() < 15 || l.Hour() > 18 || l.Minute() != 0 {
			t.Errorf("slot %s outside the local window", l)
		}
	}
	if got[0].Start.Hour() != 23 || got[4].Start.Hour() != 22 {
		t.Errorf("UTC starts %s / %s should move by the DST hour", got[0].Start, got[4].Start)
	}
}

func TestFreeSlotsSkipNonexistentWallClock(t *testing.T) {
	// A Sunday window 01:30–03:30 on 8 March 2026: 02:00–03:00 does not exist.
	cal := Calendar{Zone: vancouver, Now: local(2026, 1, 1, 0, 0), Teacher: Teacher{ID: "T", Lengths: []int{30},
		Availability: []WeeklyWindow{{Weekday: time.Sunday, Start: 90, End: 210}}}}
	for _, s := range cal.FreeSlots(SlotQuery{From: local(2026, 3, 8, 0, 0), To: local(2026, 3, 9, 0, 0), Minutes: 30, Step: 30 * time.Minute}) {
		if l := s.Start.In(vancouver); l.Hour() == 2 {
			t.Errorf("slot at nonexistent %s", l)
		}
	}
}

func TestRankAlternatives(t *testing.T) {
	own := testCalendar()
	own.Now = local(2026, 2, 1, 0, 0)
	other := testCalendar()
	other.Now = own.Now
	other.Teacher.ID = "U"
	other.Teacher.Availability = []WeeklyWindow{{Weekday: time.Monday, Start: 16 * 60, End: 17 * 60}}
	other.Bookings = append(other.Bookings, own.Bookings...)
	other.Teacher.TimeOff = nil

	req := Request{Teacher: "T", Student: "S9", Start: local(2026, 2, 2, 16, 0), Minutes: 30}
	alts := RankAlternatives(own, []Candidate{{Calendar: other, Level: true}}, AlternativesQuery{Request: req, Around: 7 * 24 * time.Hour, Limit: 50})
	if len(alts) == 0 {
		t.Fatal("no alternatives")
	}
	// best: same teacher, same day, nearest time (15:00 or 17:00 → 60 min away)
	if alts[0].Teacher != "T" || !sameDate(alts[0].Start.In(vancouver), req.Start.In(vancouver)) {
		t.Fatalf("best = %+v", alts[0])
	}
	for i := 1; i < len(alts); i++ {
		if alts[i].Score > alts[i-1].Score {
			t.Fatalf("not sorted at %d: %v > %v", i, alts[i].Score, alts[i-1].Score)
		}
	}
	var sawOther bool
	for _, a := range alts {
		if a.Teacher == "U" {
			sawOther = true
			if a.Score >= alts[0].Score {
				t.Errorf("other teacher ranks above the same teacher: %+v", a)
			}
		}
		if len(a.Reasons) == 0 {
			t.Errorf("no reasons: %+v", a)
		}
		for _, k := range own.Check(Request{Teacher: a.Teacher, Student: "S9", Start: a.Start, Minutes: 30}) {
			if a.Teacher == "T" {
				t.Errorf("alternative %s conflicts: %s", a.Start, k.Reason)
			}
		}
	}
	if !sawOther {
		t.Error("other teacher never offered")
	}
	// the requested time itself (taken by L1) is never offered
	for _, a := range alts {
		if a.Teacher == "T" && a.Start.Equal(req.Start) {
			t.Error("offered the taken slot")
		}
	}
	if got := RankAlternatives(own, nil, AlternativesQuery{Request: req, Limit: 3}); len(got) != 3 {
		t.Errorf("limit 3 gave %d", len(got))
	}
}

// TestFreeSlotsAgainstEveryBooking: FreeSlots checks each day's slots
// against the lessons near that day only; the answer is what checking
// every grid start against the whole calendar gives. Random calendars
// with many lessons (long ones, ones across midnight and DST changes,
// other teachers' and students' too), buffers, lengths and grids.
func TestFreeSlotsAgainstEveryBooking(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 7))
	base := local(2026, 3, 1, 0, 0) // DST starts 2026-03-08 in Vancouver
	for i := range 200 {
		cal := Calendar{
			Zone: vancouver, Buffer: time.Duration(rng.IntN(4)*10) * time.Minute, Now: base.Add(-time.Hour),
			Teacher: Teacher{ID: "T", Availability: []WeeklyWindow{
				{Weekday: time.Weekday(rng.IntN(7)), Start: Clock(rng.IntN(12) * 60), End: Clock(12*60 + rng.IntN(12)*60)},
				{Weekday: time.Weekday(rng.IntN(7)), Start: 0, End: 24 * 60},
			}},
		}
		for j := range rng.IntN(300) {
			start := base.Add(time.Duration(rng.IntN(16*24*4)) * 15 * time.Minute)
			teacher := "T"
			if rng.IntN(5) == 0 {
				teacher = "U"
			}
			cal.Bookings = append(cal.Bookings, Booking{ID: fmt.Sprint("L", j), Teacher: teacher, Student: "S",
				Interval: Interval{Start: start, End: start.Add(time.Duration(1+rng.IntN([]int{4, 40}[rng.IntN(2)])) * 15 * time.Minute)}})
		}
		q := SlotQuery{From: base.Add(time.Duration(rng.IntN(48)) * time.Hour), To: base.AddDate(0, 0, 14), Minutes: []int{30, 45, 60, 180}[rng.IntN(4)],
			Step: time.Duration([]int{5, 15, 30}[rng.IntN(3)]) * time.Minute}
		empty := cal
		empty.Bookings = nil
		var want []Interval
		for _, s := range empty.FreeSlots(q) {
			if len(cal.blocking(Request{Teacher: "T", Start: s.Start, Minutes: q.Minutes})) == 0 {
				want = append(want, s)
			}
		}
		if got := cal.FreeSlots(q); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (%+v, buffer %s): %d slots, checking every booking gives %d", i, q, cal.Buffer, len(got), len(want))
		}
	}
}
