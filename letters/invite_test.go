package letters

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func TestInviteParsesBack(t *testing.T) {
	toronto, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2031, 2, 1, 9, 0, 0, 0, time.UTC)
	start := time.Date(2031, 3, 4, 16, 0, 0, 0, toronto) // 21:00 UTC
	base := Invite{
		Method: Request, LessonID: "les123", Start: start, End: start.Add(30 * time.Minute),
		Summary: "Piano lesson; with Xavier, room A", Location: "Cedar Heights, Room A", Notes: "Bring books\nand a pencil",
		Organizer: Person{"Cedar Heights Music Academy", "office@cedarheights.test"},
		Attendees: []Person{{"Ana O'Brien, parent", "ana@cedarheights.test"}, {"", "xavier@cedarheights.test"}},
		Created:   created, Updated: created, Stamp: time.Date(2031, 2, 2, 8, 0, 0, 0, time.UTC),
	}
	moved := base
	moved.Updated = created.Add(90 * time.Second)
	moved.Start, moved.End = start.Add(time.Hour), start.Add(90*time.Minute)
	cancelled := moved
	cancelled.Method = Cancel
	cancelled.Updated = created.Add(3 * time.Minute)

	cases := []struct {
		name      string
		inv       Invite
		method    string
		sequence  string
		status    string
		start     time.Time
		wantError bool
	}{
		{name: "a new lesson", inv: base, method: "REQUEST", sequence: "0", status: "CONFIRMED", start: start},
		{name: "the lesson moved", inv: moved, method: "REQUEST", sequence: "90", status: "CONFIRMED", start: start.Add(time.Hour)},
		{name: "the lesson cancelled", inv: cancelled, method: "CANCEL", sequence: "180", status: "CANCELLED", start: start.Add(time.Hour)},
		{name: "unknown method", inv: func() Invite { i := base; i.Method = "PUBLISH"; return i }(), wantError: true},
		{name: "no attendee", inv: func() Invite { i := base; i.Attendees = nil; return i }(), wantError: true},
		{name: "end before start", inv: func() Invite { i := base; i.End = i.Start; return i }(), wantError: true},
		{name: "no lesson id", inv: func() Invite { i := base; i.LessonID = " "; return i }(), wantError: true},
		{name: "an address with a name", inv: func() Invite { i := base; i.Attendees = []Person{{"", "Ana <ana@x.test>"}}; return i }(), wantError: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := c.inv.ICS()
			if c.wantError {
				if err == nil {
					t.Fatalf("rendered:\n%s", raw)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Parameter values are never backslash-escaped (RFC 5545 3.2):
			// other clients would show the backslash.
			for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n ", ""), "\r\n") {
				if (strings.HasPrefix(line, "ATTENDEE;") || strings.HasPrefix(line, "ORGANIZER;")) && strings.Contains(line, `\`) {
					t.Errorf("escaped parameter: %q", line)
				}
			}
			for i, line := range bytes.Split(bytes.TrimSuffix(raw, []byte("\r\n")), []byte("\r\n")) {
				if len(line) > 75 || bytes.ContainsRune(line, '\n') {
					t.Errorf("line %d not folded or not CRLF: %q", i, line)
				}
			}
			cal, err := ics.ParseCalendar(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, raw)
			}
			if m := calProp(cal, ics.PropertyMethod); m != c.method {
				t.Errorf("METHOD %q", m)
			}
			events := cal.Events()
			if len(events) != 1 {
				t.Fatalf("%d events", len(events))
			}
			ev := events[0]
			if ev.Id() != "les123@cedarheights" {
				t.Errorf("UID %q", ev.Id())
			}
			for prop, want := range map[ics.ComponentProperty]string{
				ics.ComponentPropertySequence:    c.sequence,
				ics.ComponentPropertyStatus:      c.status,
				ics.ComponentPropertySummary:     "Piano lesson; with Xavier, room A",
				ics.ComponentPropertyLocation:    "Cedar Heights, Room A",
				ics.ComponentPropertyDescription: "Bring books\nand a pencil",
				ics.ComponentPropertyOrganizer:   "mailto:office@cedarheights.test",
				ics.ComponentPropertyDtstamp:     "20310202T080000Z",
			} {
				if got := ev.GetProperty(prop); got == nil || got.Value != want {
					t.Errorf("%s = %v, want %q", prop, got, want)
				}
			}
			gotStart, err := ev.GetStartAt()
			if err != nil || !gotStart.Equal(c.start) {
				t.Errorf("DTSTART %v (%v), want %v", gotStart, err, c.start)
			}
			gotEnd, err := ev.GetEndAt()
			if err != nil || !gotEnd.Equal(c.inv.End) {
				t.Errorf("DTEND %v (%v), want %v", gotEnd, err, c.inv.End)
			}
			if !strings.HasSuffix(ev.GetProperty(ics.ComponentPropertyDtStart).Value, "Z") {
				t.Error("DTSTART not in UTC")
			}
			att := ev.Attendees()
			if len(att) != 2 || att[0].Email() != "ana@cedarheights.test" || att[1].Email() != "xavier@cedarheights.test" {
				t.Fatalf("attendees %v", att)
			}
			if cnv := att[0].ICalParameters["CN"]; len(cnv) != 1 || cnv[0] != "Ana O’Brien parent" {
				t.Errorf("attendee CN %q", cnv)
			}
			if p := ev.GetProperty(ics.ComponentPropertyOrganizer); p.ICalParameters["CN"][0] != "Cedar Heights Music Academy" {
				t.Errorf("organizer %v", p)
			}
		})
	}
}

func calProp(cal *ics.Calendar, p ics.Property) string {
	for _, cp := range cal.CalendarProperties {
		if cp.IANAToken == string(p) {
			return cp.Value
		}
	}
	return ""
}

func TestSequence(t *testing.T) {
	at := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		created, updated time.Time
		want             int
	}{
		{at, at, 0},
		{at, at.Add(time.Minute), 60},
		{at, at.Add(-time.Minute), 0},
		{time.Time{}, at, 0},
		{at, time.Time{}, 0},
		{at, at.Add(200 * 365 * 24 * time.Hour), 1<<31 - 1},
	}
	for _, c := range cases {
		if got := Sequence(c.created, c.updated); got != c.want {
			t.Errorf("Sequence(%v, %v) = %d, want %d", c.created, c.updated, got, c.want)
		}
	}
}
