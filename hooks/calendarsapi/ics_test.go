package calendarsapi

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"
)

// Unit tests of the iCalendar rendering: the VTIMEZONE builder is checked
// by reading its output back with golang-ical's parser, expanding RRULEs
// with rrule-go, and comparing the offset it declares at every quarter hour
// of the window with Go's own zone data.

func TestICSVTimezoneMatchesZoneData(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	windows := []struct {
		name     string
		from, to time.Time
	}{
		{"feed-sized", day(2026, time.January, 10), day(2027, time.February, 14)},
		{"several years", day(2024, time.January, 1), day(2030, time.January, 1)},
		{"US rule change of 2007", day(2005, time.January, 1), day(2009, time.January, 1)},
	}
	zones := []string{
		"UTC", "America/Vancouver", "America/New_York", "Europe/London", "Australia/Sydney",
		"Asia/Kolkata", "Africa/Casablanca", "America/Sao_Paulo", "Pacific/Chatham", "Asia/Tehran",
	}
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		for _, w := range windows {
			t.Run(name+"/"+w.name, func(t *testing.T) {
				tz := renderedVTimezone(t, loc, w.from, w.to)
				if got := tz.GetProperty(ics.ComponentPropertyTzid).Value; got != name {
					t.Fatalf("TZID = %q, want %q", got, name)
				}
				onsets := declaredOnsets(t, tz)
				for i := 1; i < len(onsets); i++ {
					if onsets[i].from != onsets[i-1].to {
						t.Errorf("onset %s: TZOFFSETFROM %d, but the period before declares %d", onsets[i].at, onsets[i].from, onsets[i-1].to)
					}
				}
				for at := w.from; at.Before(w.to); at = at.Add(15 * time.Minute) {
					_, want := at.In(loc).Zone()
					got, ok := declaredOffset(onsets, at)
					if !ok || got != want {
						t.Fatalf("at %s the VTIMEZONE says %d (declared: %v), Go says %d", at, got, ok, want)
					}
				}
			})
		}
	}
}

func TestICSVTimezoneShapes(t *testing.T) {
	t.Parallel()
	vancouver, _ := time.LoadLocation("America/Vancouver")
	london, _ := time.LoadLocation("Europe/London")
	sydney, _ := time.LoadLocation("Australia/Sydney")
	from := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2029, time.January, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		loc  *time.Location
		from time.Time
		to   time.Time
		want []string // observances, each "KIND DTSTART FROM TO RRULE|RDATE… NAME"
	}{
		{
			name: "UTC is one standard period", loc: time.UTC, from: from, to: to,
			want: []string{"STANDARD 19700101T000000 +0000 +0000 - UTC"},
		},
		{
			name: "Vancouver: second Sunday of March, first of November, 02:00", loc: vancouver, from: from, to: to,
			want: []string{
				"STANDARD 20251102T020000 -0700 -0800 FREQ=YEARLY;BYMONTH=11;BYDAY=1SU;UNTIL=20281105T090000Z PST",
				"DAYLIGHT 20260308T020000 -0800 -0700 FREQ=YEARLY;BYMONTH=3;BYDAY=2SU;UNTIL=20280312T100000Z PDT",
			},
		},
		{
			name: "London: last Sundays", loc: london, from: from, to: to,
			want: []string{
				"STANDARD 20251026T020000 +0100 +0000 FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20281029T010000Z GMT",
				"DAYLIGHT 20260329T010000 +0000 +0100 FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;UNTIL=20280326T010000Z BST",
			},
		},
		{
			name: "Sydney: daylight time spans the new year", loc: sydney, from: from, to: to,
			want: []string{
				"DAYLIGHT 20251005T020000 +1000 +1100 FREQ=YEARLY;BYMONTH=10;BYDAY=1SU;UNTIL=20280930T160000Z AEDT",
				"STANDARD 20260405T030000 +1100 +1000 FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20280401T160000Z AEST",
			},
		},
		{
			name: "a single onset needs no rule", loc: vancouver,
			from: time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"DAYLIGHT 20260308T020000 -0800 -0700 - PDT"},
		},
		{
			// 2007 moved the US onsets to March and November: no one rule.
			name: "the 2007 US change falls back to RDATEs", loc: vancouver,
			from: time.Date(2006, time.January, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2008, time.January, 1, 0, 0, 0, 0, time.UTC),
			want: []string{
				"STANDARD 20051030T020000 -0700 -0800 RDATE:20061029T020000 RDATE:20071104T020000 PST",
				"DAYLIGHT 20060402T020000 -0800 -0700 RDATE:20070311T020000 PDT",
			},
		},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tz := renderedVTimezone(t, c.loc, c.from, c.to)
			var got []string
			for _, sub := range tz.Components {
				got = append(got, describeObservance(t, sub))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("observances:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestICSTimeRepeatedHour(t *testing.T) {
	t.Parallel()
	vancouver, _ := time.LoadLocation("America/Vancouver")
	cases := []struct {
		name   string
		at     time.Time
		value  string
		hasTZ  bool
		isWall bool
	}{
		{"an ordinary afternoon", time.Date(2026, time.July, 6, 23, 0, 0, 0, time.UTC), "20260706T160000", true, true},
		{"01:30 PDT, the first of two", time.Date(2026, time.November, 1, 8, 30, 0, 0, time.UTC), "20261101T013000", true, true},
		{"01:30 PST, the repeat", time.Date(2026, time.November, 1, 9, 30, 0, 0, time.UTC), "20261101T093000Z", false, false},
		{"03:30 PDT just after the spring gap", time.Date(2026, time.March, 8, 10, 30, 0, 0, time.UTC), "20260308T033000", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := isFirstWallTime(c.at, vancouver); got != c.isWall {
				t.Errorf("isFirstWallTime = %v, want %v", got, c.isWall)
			}
			value, params := icsTime(c.at, vancouver)
			if value != c.value || (len(params) > 0) != c.hasTZ {
				t.Errorf("icsTime = %q %v, want %q (TZID %v)", value, params, c.value, c.hasTZ)
			}
		})
	}
}

func TestICSOffsets(t *testing.T) {
	t.Parallel()
	offsets := map[int]string{0: "+0000", -8 * 3600: "-0800", 19800: "+0530", 45900: "+1245", -(3600 + 30*60 + 15): "-013015"}
	for seconds, want := range offsets {
		if got := utcOffset(seconds); got != want {
			t.Errorf("utcOffset(%d) = %q, want %q", seconds, got, want)
		}
	}
}

// renderedVTimezone serializes the builder's VTIMEZONE in a calendar and
// parses it back, so the test sees what a client would.
func renderedVTimezone(t *testing.T, loc *time.Location, from, to time.Time) *ics.VTimezone {
	t.Helper()
	var b strings.Builder
	if err := (icsCalendar{Name: "test", Zone: loc, From: from, To: to}).write(&b); err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b.String())
	}
	tzs := cal.Timezones()
	if len(tzs) != 1 {
		t.Fatalf("%d VTIMEZONEs in\n%s", len(tzs), b.String())
	}
	return tzs[0]
}

func observanceBase(t testing.TB, c ics.Component) (string, *ics.ComponentBase) {
	switch v := c.(type) {
	case *ics.Standard:
		return "STANDARD", &v.ComponentBase
	case *ics.Daylight:
		return "DAYLIGHT", &v.ComponentBase
	}
	t.Fatalf("unexpected VTIMEZONE sub-component %T", c)
	return "", nil
}

func describeObservance(t testing.TB, c ics.Component) string {
	kind, base := observanceBase(t, c)
	value := func(p ics.Property) string {
		if prop := base.GetProperty(ics.ComponentProperty(p)); prop != nil {
			return prop.Value
		}
		return "-"
	}
	rule := value(ics.PropertyRrule)
	if rdates := base.GetProperties(ics.ComponentPropertyRdate); len(rdates) > 0 {
		var parts []string
		for _, r := range rdates {
			parts = append(parts, "RDATE:"+r.Value)
		}
		rule = strings.Join(parts, " ")
	}
	return strings.Join([]string{kind, value(ics.PropertyDtstart), value(ics.PropertyTzoffsetfrom), value(ics.PropertyTzoffsetto), rule, value(ics.PropertyTzname)}, " ")
}

// declaredOnset is one onset a VTIMEZONE declares, as an instant.
type declaredOnset struct {
	at       time.Time
	from, to int
}

// declaredOnsets expands every STANDARD and DAYLIGHT component (DTSTART,
// RDATEs, RRULE) into instants, oldest first.
func declaredOnsets(t *testing.T, tz *ics.VTimezone) []declaredOnset {
	t.Helper()
	var out []declaredOnset
	for _, c := range tz.Components {
		_, base := observanceBase(t, c)
		from := parseUTCOffset(t, base.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value)
		to := parseUTCOffset(t, base.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value)
		zone := time.FixedZone("", from)
		local := func(v string) time.Time {
			at, err := time.ParseInLocation(icsLocalFormat, v, zone)
			if err != nil {
				t.Fatalf("onset %q: %v", v, err)
			}
			return at
		}
		start := local(base.GetProperty(ics.ComponentPropertyDtStart).Value)
		onsets := []time.Time{start}
		for _, r := range base.GetProperties(ics.ComponentPropertyRdate) {
			onsets = append(onsets, local(r.Value))
		}
		if r := base.GetProperty(ics.ComponentPropertyRrule); r != nil {
			opt, err := rrule.StrToROption(r.Value)
			if err != nil {
				t.Fatalf("RRULE %q: %v", r.Value, err)
			}
			opt.Dtstart = start
			rule, err := rrule.NewRRule(*opt)
			if err != nil {
				t.Fatal(err)
			}
			onsets = rule.All()
			if len(onsets) == 0 || !onsets[0].Equal(start) {
				t.Fatalf("RRULE %q does not start at DTSTART %s", r.Value, start)
			}
		}
		for _, at := range onsets {
			out = append(out, declaredOnset{at: at.UTC(), from: from, to: to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// declaredOffset is the offset in force at instant at: that of the last
// onset at or before it.
func declaredOffset(onsets []declaredOnset, at time.Time) (int, bool) {
	offset, ok := 0, false
	for _, o := range onsets {
		if o.at.After(at) {
			break
		}
		offset, ok = o.to, true
	}
	return offset, ok
}

func parseUTCOffset(t *testing.T, v string) int {
	t.Helper()
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		t.Fatalf("bad UTC-OFFSET %q", v)
	}
	part := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("bad UTC-OFFSET %q", v)
		}
		return n
	}
	seconds := part(v[1:3])*3600 + part(v[3:5])*60
	if len(v) == 7 {
		seconds += part(v[5:7])
	}
	if v[0] == '-' {
		seconds = -seconds
	}
	return seconds
}
