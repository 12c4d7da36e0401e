package matching

import (
	"encoding/json"
	"testing"
	"time"

	"cedarheights/scheduling"
)

// Preferred times are wall-clock times in the academy's zone: Monday 16:00
// stays 16:00 in Vancouver across the switch to daylight saving time on
// 8 March 2026, while the UTC instant moves by an hour.
func TestFirstOccurrenceAcrossDST(t *testing.T) {
	cases := []struct {
		name string
		from time.Time
		want time.Time // UTC
	}{
		{"winter", local(2026, 2, 28, 9, 0), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}, // Mon 2 Mar 16:00 PST
		{"summer", local(2026, 3, 7, 9, 0), time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)}, // Mon 9 Mar 16:00 PDT
		{"same day, before", local(2026, 3, 9, 15, 59), time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)},
		{"same day, after", local(2026, 3, 9, 16, 1), time.Date(2026, 3, 16, 23, 0, 0, 0, time.UTC)},
		{"a week later, across the switch", local(2026, 3, 2, 16, 1), time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)},
		{"from given in UTC", time.Date(2026, 3, 9, 22, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)},
		{"autumn", local(2026, 10, 31, 9, 0), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, // Mon 2 Nov 16:00 PST
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRequest()
			r.From = tc.from
			r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00")}
			s := mustFind(t, r, teacher("T", "Tess")).Matches[0].Suggested
			if !s.First.Equal(tc.want) || s.First.Location() != time.UTC {
				t.Errorf("first = %s, want %s", s.First, tc.want)
			}
			if l := s.First.In(vancouver); l.Weekday() != time.Monday || l.Hour() != 16 || l.Minute() != 0 {
				t.Errorf("first is %s in Vancouver, want a Monday at 16:00", l)
			}
		})
	}
}

// From is read as a date in the academy's zone: Sunday 20:00 in Vancouver
// is already Monday in UTC, and the Sunday 21:00 lesson is that evening.
func TestFirstOccurrenceUsesTheLocalDate(t *testing.T) {
	r := testRequest()
	r.From = local(2026, 3, 8, 20, 0)
	r.Preferred = []scheduling.WeeklyWindow{win(time.Sunday, "21:00", "22:00")}
	c := teacher("T", "Tess")
	c.Teacher.Availability = []scheduling.WeeklyWindow{win(time.Sunday, "18:00", "22:00")}
	if s := mustFind(t, r, c).Matches[0].Suggested; !s.First.Equal(local(2026, 3, 8, 21, 0)) {
		t.Errorf("first %s, want Sunday 8 March 21:00", s.First.In(vancouver))
	}
}

// 02:30 does not exist in Vancouver on Sunday 8 March 2026: the first lesson
// is the next Sunday.
func TestFirstOccurrenceSkipsTheDSTGap(t *testing.T) {
	r := testRequest()
	r.From = local(2026, 3, 7, 9, 0)
	r.Preferred = []scheduling.WeeklyWindow{win(time.Sunday, "02:30", "03:00")}
	c := teacher("T", "Tess")
	c.Teacher.Availability = []scheduling.WeeklyWindow{win(time.Sunday, "01:00", "04:00")}
	s := mustFind(t, r, c).Matches[0].Suggested
	if s.Start != hm(2, 30) || !s.First.Equal(local(2026, 3, 15, 2, 30)) {
		t.Errorf("suggested %s, first %s; want 02:30 on 15 March", s.Start, s.First.In(vancouver))
	}
}

func TestFirstOccurrenceSkipsTimeOffAndClosures(t *testing.T) {
	r := testRequest() // from Sunday 1 Feb
	r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00")}
	c := teacher("T", "Tess")
	c.Teacher.TimeOff = []scheduling.Interval{{Start: local(2026, 2, 2, 0, 0), End: local(2026, 2, 3, 0, 0)}}
	a := testAcademy
	a.Closures = []scheduling.Interval{{Start: local(2026, 2, 9, 16, 15), End: local(2026, 2, 9, 18, 0)}}

	res, err := Find(a, r, []Candidate{c})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Matches[0].Suggested.First; !got.Equal(local(2026, 2, 16, 16, 0)) {
		t.Errorf("first %s, want Monday 16 February (time off on the 2nd, closed on the 9th)", got.In(vancouver))
	}

	c.Teacher.TimeOff = []scheduling.Interval{{Start: local(2026, 1, 1, 0, 0), End: local(2027, 1, 1, 0, 0)}}
	if res, _ = Find(a, r, []Candidate{c}); !res.Matches[0].Suggested.First.IsZero() {
		t.Errorf("away for a year, yet first = %s", res.Matches[0].Suggested.First)
	}
}

func TestSlotsRankedAndCapped(t *testing.T) {
	r := testRequest()
	r.Preferred = []scheduling.WeeklyWindow{win(time.Wednesday, "17:00", "18:00")}
	c := teacher("T", "Tess")
	c.Teacher.Availability = nil
	for d := time.Sunday; d <= time.Saturday; d++ {
		c.Teacher.Availability = append(c.Teacher.Availability, win(d, "15:00", "19:00"))
	}
	m := mustFind(t, r, c).Matches[0]
	got := []string{at(m.Suggested.Weekday, m.Suggested.Start) + " " + m.Suggested.Why}
	for _, s := range m.Other {
		got = append(got, at(s.Weekday, s.Start)+" "+s.Why)
	}
	want := []string{
		"Wed 17:00 Within your preferred time Wed 17:00–18:00",
		"Mon 15:00 Free time on Mondays",
		"Tue 15:00 Free time on Tuesdays",
		"Wed 15:00 Free time on Wednesdays",
		"Thu 15:00 Free time on Thursdays",
	}
	if len(got) != len(want) {
		t.Fatalf("slots %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("slot %d = %q, want %q", i, got[i], want[i])
		}
	}
	if m.Suggested.End != hm(17, 30) {
		t.Errorf("end %s", m.Suggested.End)
	}
}

func TestSlotJSON(t *testing.T) {
	s := Slot{Weekday: time.Monday, Start: hm(16, 0), End: hm(16, 30), First: time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), Why: "x"}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"weekday":1,"day":"Monday","start":"16:00","end":"16:30","first":"2026-02-03T00:00:00Z","why":"x"}`
	if string(b) != want {
		t.Errorf("json %s\nwant %s", b, want)
	}
	s.First = time.Time{}
	if b, _ = json.Marshal(s); string(b) != `{"weekday":1,"day":"Monday","start":"16:00","end":"16:30","why":"x"}` {
		t.Errorf("zero first: %s", b)
	}
}
