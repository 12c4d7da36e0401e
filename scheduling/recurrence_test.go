package scheduling

import (
	"strings"
	"testing"
	"time"
)

func TestOccurrencesKeepWallClockAcrossDST(t *testing.T) {
	cases := []struct {
		name  string
		first time.Time
		rec   Recurrence
		count int
		// offsets (hours from UTC) of the first and last occurrence
		firstOffset, lastOffset int
	}{
		{"spring forward (8 March 2026)", local(2026, 2, 23, 16, 0), Recurrence{Count: 4}, 4, -8, -7},
		{"fall back (1 November 2026)", local(2026, 10, 19, 16, 0), Recurrence{Count: 4}, 4, -7, -8},
		{"until date", local(2026, 2, 23, 16, 0), Recurrence{Until: local(2026, 3, 16, 23, 59)}, 4, -8, -7},
		{"raw RRULE", local(2026, 10, 19, 16, 0), Recurrence{RRule: "FREQ=WEEKLY;COUNT=3"}, 3, -7, -8},
		{"RRULE with prefix and interval", local(2026, 2, 23, 16, 0), Recurrence{RRule: "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3"}, 3, -8, -7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.rec.Occurrences(c.first.UTC(), vancouver)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.count {
				t.Fatalf("got %d occurrences: %v", len(got), got)
			}
			for _, at := range got {
				l := at.In(vancouver)
				if l.Hour() != 16 || l.Minute() != 0 || l.Weekday() != time.Monday {
					t.Errorf("occurrence %s is not Monday 16:00 local", l)
				}
				if at.Location() != time.UTC {
					t.Errorf("occurrence %s not in UTC", at)
				}
			}
			_, first := got[0].In(vancouver).Zone()
			_, last := got[len(got)-1].In(vancouver).Zone()
			if first/3600 != c.firstOffset || last/3600 != c.lastOffset {
				t.Fatalf("offsets %d → %d, want %d → %d", first/3600, last/3600, c.firstOffset, c.lastOffset)
			}
		})
	}
}

func TestOccurrencesRefuseBadInput(t *testing.T) {
	first := local(2026, 2, 23, 16, 0)
	for _, rec := range []Recurrence{
		{},
		{RRule: "FREQ=SOMETIMES"},
		{RRule: "not a rule"},
		{Count: MaxOccurrences + 1},
		{RRule: "FREQ=DAILY"}, // unbounded
		{RRule: "FREQ=DAILY;COUNT=500"},
		// found by FuzzRecurrence: a series that expands to nothing made the
		// routes book starts[0] of an empty list (a panic, a 500)
		{RRule: "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"},
		{RRule: "FREQ=WEEKLY;UNTIL=20200101T000000Z"},
		{Count: 3, Until: first.AddDate(0, 0, -1)},
		// finer than daily, or beyond the span: refused before expanding
		{RRule: "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z"},
		{RRule: "FREQ=HOURLY;COUNT=3"},
		{RRule: "FREQ=YEARLY;COUNT=12"},
	} {
		if got, err := rec.Occurrences(first, vancouver); err == nil {
			t.Errorf("%+v: expected an error, got %d occurrences", rec, len(got))
		}
	}
}

func TestPlanSeries(t *testing.T) {
	cal := testCalendar()
	// Weekly Mondays 16:00 from 2 Feb: 2 Feb clashes with L1, 16 Feb is time
	// off, 9 March changes offset, 23 March is closed.
	starts, err := Recurrence{Count: 8}.Occurrences(local(2026, 2, 2, 16, 0), vancouver)
	if err != nil {
		t.Fatal(err)
	}
	plan := cal.PlanSeries(Request{Teacher: "T", Student: "S9", Start: starts[0], Minutes: 30}, starts)
	want := []struct {
		status string
		reason Reason
		dst    bool
	}{
		{OccurrenceSkipped, ReasonTeacherBusy, false}, // 2 Feb
		{OccurrenceCreated, "", false},                // 9 Feb
		{OccurrenceSkipped, ReasonTimeOff, false},     // 16 Feb
		{OccurrenceCreated, "", false},                // 23 Feb
		{OccurrenceCreated, "", false},                // 2 Mar
		{OccurrenceCreated, "", true},                 // 9 Mar: UTC-7
		{OccurrenceCreated, "", true},                 // 16 Mar
		{OccurrenceSkipped, ReasonClosure, true},      // 23 Mar
	}
	if len(plan) != len(want) {
		t.Fatalf("plan has %d entries", len(plan))
	}
	for i, w := range want {
		o := plan[i]
		if o.Status != w.status {
			t.Errorf("%d (%s): status %s, want %s", i, o.Start.In(vancouver), o.Status, w.status)
		}
		if w.reason != "" && (len(o.Conflicts) == 0 || o.Conflicts[0].Reason != w.reason) {
			t.Errorf("%d: conflicts %+v, want %s", i, o.Conflicts, w.reason)
		}
		if w.dst != strings.Contains(o.Note, "daylight saving") {
			t.Errorf("%d: note %q, dst want %v", i, o.Note, w.dst)
		}
	}
}

func TestPlanSeriesChecksItsOwnOccurrences(t *testing.T) {
	cal := testCalendar()
	at := local(2026, 2, 9, 17, 0)
	// the same start twice: the second must clash with the first
	plan := cal.PlanSeries(Request{Teacher: "T", Student: "S9", Minutes: 30}, []time.Time{at, at})
	if plan[0].Status != OccurrenceCreated || plan[1].Status != OccurrenceSkipped {
		t.Fatalf("plan = %+v", plan)
	}
}
