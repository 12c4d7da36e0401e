package matching

import (
	"testing"
	"time"

	"cedarheights/scheduling"
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

// hm is a time of day.
func hm(h, m int) scheduling.Clock { return scheduling.Clock(h*60 + m) }

// win is a weekly window from "HH:MM" strings.
func win(d time.Weekday, start, end string) scheduling.WeeklyWindow {
	s, err := scheduling.ParseClock(start)
	if err != nil {
		panic(err)
	}
	e, err := scheduling.ParseClock(end)
	if err != nil {
		panic(err)
	}
	return scheduling.WeeklyWindow{Weekday: d, Start: s, End: e}
}

// testAcademy: Vancouver, 10 minutes between a teacher's lessons.
var testAcademy = Academy{Zone: vancouver, Buffer: 10 * time.Minute}

// testRequest: a 30-minute piano lesson for a beginner, asked on Sunday
// 1 February 2026 (the Monday after is 2 February).
func testRequest() Request {
	return Request{
		Instrument: "piano", InstrumentName: "Piano", Level: "beginner", Minutes: 30,
		Student: "Ben", From: local(2026, 2, 1, 9, 0),
	}
}

// teacher: teaches piano 30/45 to beginners, capacity 20 with 10 taken,
// Mondays 15:00–19:00.
func teacher(id, name string) Candidate {
	return Candidate{
		Teacher: scheduling.Teacher{
			ID: id, Instruments: []string{"piano"}, Lengths: []int{30, 45},
			Availability: []scheduling.WeeklyWindow{win(time.Monday, "15:00", "19:00")},
		},
		Name: name, Levels: []string{"beginner", "intermediate"}, Capacity: 20, Active: 10,
	}
}

func mustFind(t *testing.T, r Request, cs ...Candidate) Result {
	t.Helper()
	res, err := Find(testAcademy, r, cs)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	return res
}

func factorOf(t *testing.T, m Match, name string) Factor {
	t.Helper()
	for _, f := range m.Factors {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("%s has no factor %q: %+v", m.Teacher, name, m.Factors)
	return Factor{}
}

func hasFactor(m Match, name string) bool {
	for _, f := range m.Factors {
		if f.Name == name {
			return true
		}
	}
	return false
}

func ids(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Teacher)
	}
	return out
}
