package scheduling

import (
	"testing"
	"time"
)

var vancouver = mustZone("America/Vancouver")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// local builds a wall-clock instant in Vancouver.
func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, vancouver)
}

// testCalendar: teacher T teaches piano 30/45 min on Mondays 15:00–19:00
// (Vancouver); 10 minutes of buffer; "now" is long before the lessons.
func testCalendar() Calendar {
	return Calendar{
		Zone:   vancouver,
		Buffer: 10 * time.Minute,
		Now:    local(2026, 1, 1, 0, 0),
		Teacher: Teacher{
			ID:           "T",
			Instruments:  []string{"piano"},
			Lengths:      []int{30, 45},
			Availability: []WeeklyWindow{{Weekday: time.Monday, Start: 15 * 60, End: 19 * 60}},
			TimeOff:      []Interval{{Start: local(2026, 2, 16, 0, 0), End: local(2026, 2, 17, 0, 0)}},
		},
		Closures: []Interval{{Start: local(2026, 3, 23, 0, 0), End: local(2026, 3, 24, 0, 0)}},
		Bookings: []Booking{
			{ID: "L1", Teacher: "T", Student: "S1", Room: "R1", Interval: Interval{Start: local(2026, 2, 2, 16, 0), End: local(2026, 2, 2, 16, 30)}},
			{ID: "L2", Teacher: "U", Student: "S2", Room: "R2", Interval: Interval{Start: local(2026, 2, 9, 17, 0), End: local(2026, 2, 9, 17, 30)}},
		},
	}
}

func TestCheckRules(t *testing.T) {
	mon := func(d, h, m int) time.Time { return local(2026, 2, d, h, m) }
	cases := []struct {
		name string
		req  Request
		want []Reason
		ids  []string
	}{
		{"fits", Request{Teacher: "T", Student: "S9", Instrument: "piano", Start: mon(2, 17, 0), Minutes: 30}, nil, nil},
		{"teacher overlap", Request{Teacher: "T", Student: "S9", Start: mon(2, 16, 15), Minutes: 30}, []Reason{ReasonTeacherBusy}, []string{"L1"}},
		{"inside teacher buffer after", Request{Teacher: "T", Student: "S9", Start: mon(2, 16, 35), Minutes: 30}, []Reason{ReasonTeacherBusy}, []string{"L1"}},
		{"inside teacher buffer before", Request{Teacher: "T", Student: "S9", Start: mon(2, 15, 25), Minutes: 30}, []Reason{ReasonTeacherBusy}, []string{"L1"}},
		{"just outside buffer", Request{Teacher: "T", Student: "S9", Start: mon(2, 16, 40), Minutes: 30}, nil, nil},
		{"moving the lesson itself", Request{Teacher: "T", Student: "S1", Start: mon(2, 16, 15), Minutes: 30, IgnoreID: "L1"}, nil, nil},
		{"student overlap with other teacher", Request{Teacher: "T", Student: "S2", Start: mon(9, 17, 15), Minutes: 30}, []Reason{ReasonStudentBusy}, []string{"L2"}},
		{"student back to back is fine", Request{Teacher: "T", Student: "S2", Start: mon(9, 17, 30), Minutes: 30}, nil, nil},
		{"room overlap", Request{Teacher: "T", Student: "S9", Room: "R2", Start: mon(9, 17, 0), Minutes: 30}, []Reason{ReasonRoomBusy}, []string{"L2"}},
		{"room back to back is fine", Request{Teacher: "T", Student: "S9", Room: "R2", Start: mon(9, 17, 30), Minutes: 30}, nil, nil},
		{"before availability", Request{Teacher: "T", Start: mon(2, 14, 45), Minutes: 30}, []Reason{ReasonOutsideAvailability}, nil},
		{"runs past availability", Request{Teacher: "T", Start: mon(2, 18, 45), Minutes: 30}, []Reason{ReasonOutsideAvailability}, nil},
		{"wrong weekday", Request{Teacher: "T", Start: local(2026, 2, 3, 16, 0), Minutes: 30}, []Reason{ReasonOutsideAvailability}, nil},
		{"time off", Request{Teacher: "T", Start: mon(16, 16, 0), Minutes: 30}, []Reason{ReasonTimeOff}, nil},
		{"closure", Request{Teacher: "T", Start: local(2026, 3, 23, 16, 0), Minutes: 30}, []Reason{ReasonClosure}, nil},
		{"instrument not taught", Request{Teacher: "T", Instrument: "violin", Start: mon(2, 17, 0), Minutes: 30}, []Reason{ReasonInstrumentNotTaught}, nil},
		{"length not offered", Request{Teacher: "T", Start: mon(2, 17, 0), Minutes: 60}, []Reason{ReasonLengthNotOffered}, nil},
		{"in the past", Request{Teacher: "T", Start: local(2025, 12, 29, 16, 0), Minutes: 30}, []Reason{ReasonInPast}, nil},
		{"admin back-fill", Request{Teacher: "T", Start: local(2025, 12, 29, 16, 0), Minutes: 30, AllowPast: true}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := testCalendar().Check(c.req)
			if len(got) != len(c.want) {
				t.Fatalf("conflicts = %+v, want reasons %v", got, c.want)
			}
			for i, k := range got {
				if k.Reason != c.want[i] {
					t.Fatalf("conflict %d = %s, want %s", i, k.Reason, c.want[i])
				}
				if c.ids != nil && k.LessonID != c.ids[i] {
					t.Fatalf("conflict %d lesson = %q, want %q", i, k.LessonID, c.ids[i])
				}
				if !k.Window.Valid() || k.Message == "" {
					t.Fatalf("conflict %d lacks a window or message: %+v", i, k)
				}
			}
		})
	}
}

func TestCheckAvailabilityValidity(t *testing.T) {
	cal := testCalendar()
	cal.Teacher.Availability[0].ValidFrom = time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC)
	cal.Teacher.Availability[0].ValidTo = time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		day  int
		fits bool
	}{{2, false}, {9, true}, {16 + 7, false}} {
		got := cal.Check(Request{Teacher: "T", Start: local(2026, 2, c.day, 17, 0), Minutes: 30})
		if (len(got) == 0) != c.fits {
			t.Errorf("Feb %d: %+v, fits want %v", c.day, got, c.fits)
		}
	}
}

func TestCheckAcrossDST(t *testing.T) {
	// 16:00 Monday is inside the 15:00–19:00 window on both sides of the
	// March and November changes, though its UTC instant moves by an hour.
	cal := testCalendar()
	for _, at := range []time.Time{local(2026, 3, 2, 16, 0), local(2026, 3, 9, 16, 0), local(2026, 10, 26, 16, 0), local(2026, 11, 2, 16, 0)} {
		if got := cal.Check(Request{Teacher: "T", Start: at.UTC(), Minutes: 30}); len(got) != 0 {
			t.Errorf("%s: %+v", at, got)
		}
	}
	// 15:30 UTC-8 on 2 March is 23:30 UTC; the same UTC time after the change is 16:30 local.
	before := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	after := before.AddDate(0, 0, 7)
	if clockOf(before.In(vancouver)) != 15*60+30 || clockOf(after.In(vancouver)) != 16*60+30 {
		t.Fatalf("zone data: %s / %s", before.In(vancouver), after.In(vancouver))
	}
}
