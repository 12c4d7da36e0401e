package letters

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func TestSeriesICSHoldsEveryLessonUnderItsOwnUID(t *testing.T) {
	t.Parallel()
	created := time.Date(2031, 2, 1, 9, 0, 0, 0, time.UTC)
	first := time.Date(2031, 3, 4, 21, 0, 0, 0, time.UTC)
	var invites []Invite
	for i, id := range []string{"les1", "les2", "les3"} {
		start := first.AddDate(0, 0, 7*i)
		invites = append(invites, Invite{
			LessonID: id, Start: start, End: start.Add(30 * time.Minute), Summary: "Piano lesson",
			Organizer: Person{"Cedar Heights", "office@cedarheights.test"},
			Attendees: []Person{{"Ana", "ana@cedarheights.test"}},
			Created:   created, Updated: created.Add(time.Duration(i) * time.Minute), Stamp: created,
		})
	}
	raw, err := SeriesICS(invites)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if !strings.Contains(string(raw), "\r\nMETHOD:PUBLISH\r\n") || len(cal.Events()) != 3 {
		t.Fatalf("want a PUBLISH calendar of 3 events:\n%s", raw)
	}
	for i, e := range cal.Events() {
		seq := e.GetProperty(ics.ComponentPropertySequence).Value
		start := e.GetProperty(ics.ComponentPropertyDtStart).Value
		if e.Id() != LessonUID(invites[i].LessonID) || seq != []string{"0", "60", "120"}[i] ||
			start != invites[i].Start.Format("20060102T150405Z") || e.GetProperty(ics.ComponentPropertyStatus).Value != "CONFIRMED" {
			t.Errorf("event %d: UID %s SEQUENCE %s DTSTART %s", i, e.Id(), seq, start)
		}
	}

	bad := append([]Invite(nil), invites...)
	bad[1].Attendees = nil
	for name, list := range map[string][]Invite{"none": nil, "an invalid lesson": bad, "too many": make([]Invite, MaxSeriesInvites+1)} {
		if _, err := SeriesICS(list); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}
