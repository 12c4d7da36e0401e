package calendarsapi

import (
	"fmt"
	"io"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"cedarheights/letters"
)

// ics.go renders lessons as an iCalendar feed (RFC 5545) with golang-ical.
// Event times are the academy's wall clock with a TZID, and the VTIMEZONE
// describing that zone is computed from Go's own zone data, so the feed and
// the server never disagree about a DST change.

// icsEvent is one lesson as a calendar client sees it.
type icsEvent struct {
	UID                            string
	Start, End                     time.Time
	Summary, Location, Description string
	Cancelled                      bool
	Created, Updated               time.Time
}

// icsCalendar is a whole feed. From and To bound the VTIMEZONE's coverage
// (the feed's window), Zone is the academy's.
type icsCalendar struct {
	Name     string
	Zone     *time.Location
	From, To time.Time
	Events   []icsEvent
}

const (
	icsLocalFormat = "20060102T150405"
	icsUTCFormat   = "20060102T150405Z"
)

// write writes the feed, CRLF-terminated and folded at 75 octets.
func (c icsCalendar) write(w io.Writer) error {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Cedar Heights//Lessons//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetXWRCalName(c.Name)
	cal.SetXWRTimezone(c.Zone.String())
	// Hints for subscribing clients; each decides how often it really polls.
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	cal.AddVTimezone(vtimezone(c.Zone, c.From, c.To))
	for _, ev := range c.Events {
		cal.AddVEvent(c.event(ev))
	}
	return cal.SerializeTo(w, ics.WithNewLineWindows) // RFC 5545 lines end in CRLF
}

func (c icsCalendar) event(ev icsEvent) *ics.VEvent {
	e := ics.NewEvent(ev.UID)
	// Without a METHOD, DTSTAMP is the event's last revision (RFC 5545
	// 3.8.7.2), which also keeps the feed's bytes stable between polls.
	e.SetDtStampTime(ev.Updated)
	e.SetCreatedTime(ev.Created)
	e.SetModifiedAt(ev.Updated)
	e.SetSequence(letters.Sequence(ev.Created, ev.Updated))
	start, startParams := icsTime(ev.Start, c.Zone)
	e.SetProperty(ics.ComponentPropertyDtStart, start, startParams...)
	end, endParams := icsTime(ev.End, c.Zone)
	e.SetProperty(ics.ComponentPropertyDtEnd, end, endParams...)
	e.SetSummary(ev.Summary)
	if ev.Location != "" {
		e.SetLocation(ev.Location)
	}
	if ev.Description != "" {
		e.SetDescription(strings.ReplaceAll(ev.Description, "\r\n", "\n"))
	}
	if ev.Cancelled {
		e.SetStatus(ics.ObjectStatusCancelled)
		// A cancelled lesson no longer makes anyone busy.
		e.SetTimeTransparency(ics.TransparencyTransparent)
	} else {
		e.SetStatus(ics.ObjectStatusConfirmed)
		e.SetTimeTransparency(ics.TransparencyOpaque)
	}
	return e
}

// icsTime is t as the zone's wall clock with a TZID, or as UTC when that
// wall time would be misread: a repeated hour (clocks going back) names its
// first occurrence in iCalendar (RFC 5545 3.3.5), so an instant in the
// second one is written in UTC instead.
func icsTime(t time.Time, zone *time.Location) (string, []ics.PropertyParameter) {
	if !isFirstWallTime(t, zone) {
		return t.UTC().Format(icsUTCFormat), nil
	}
	return t.In(zone).Format(icsLocalFormat), []ics.PropertyParameter{ics.WithTZID(zone.String())}
}

// isFirstWallTime reports whether no earlier instant shows the same wall
// clock as t in zone. Only the offsets in force two days either side can
// produce one (zones change at most once in such a span).
func isFirstWallTime(t time.Time, zone *time.Location) bool {
	local := t.In(zone)
	_, offset := local.Zone()
	for _, near := range []time.Time{t.Add(-48 * time.Hour), t.Add(48 * time.Hour)} {
		_, other := near.In(zone).Zone()
		if other <= offset {
			continue // the same wall time under a smaller offset comes later
		}
		earlier := t.Add(-time.Duration(other-offset) * time.Second)
		if earlier.In(zone).Format(icsLocalFormat) == local.Format(icsLocalFormat) {
			return false
		}
	}
	return true
}

// zoneTransition is the onset of one period of a zone: the offsets (seconds
// east of UTC) before and after it, and the period's name and kind. A zero
// At means the period has no known onset (a fixed zone such as UTC).
type zoneTransition struct {
	At       time.Time
	From, To int
	Name     string
	DST      bool
}

// zoneTransitions lists the period of loc in force at from (with its onset,
// which may lie before from) and every change up to to, read from Go's
// zone data (its TZ rule string beyond the last listed change).
func zoneTransitions(loc *time.Location, from, to time.Time) []zoneTransition {
	t := from.In(loc)
	name, offset := t.Zone()
	start, _ := t.ZoneBounds()
	first := zoneTransition{From: offset, To: offset, Name: name, DST: t.IsDST()}
	if !start.IsZero() {
		_, before := start.Add(-time.Second).Zone()
		first = zoneTransition{At: start.UTC(), From: before, To: offset, Name: name, DST: start.IsDST()}
	}
	out := []zoneTransition{first}
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(to) {
			return out
		}
		_, prev := t.Zone()
		name, offset := end.Zone()
		out = append(out, zoneTransition{At: end.UTC(), From: prev, To: offset, Name: name, DST: end.IsDST()})
		t = end
	}
}

// observance is the transitions one STANDARD or DAYLIGHT component stands
// for: same kind, offsets and name.
type observance struct {
	zoneTransition
	onsets []time.Time
}

// vtimezone describes loc between from and to: one STANDARD or DAYLIGHT
// component per kind of period, its later onsets as a yearly RRULE when
// they follow one (e.g. second Sunday of March), otherwise as RDATEs.
func vtimezone(loc *time.Location, from, to time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	var groups []*observance
	for _, tr := range zoneTransitions(loc, from, to) {
		key := tr
		key.At = time.Time{}
		var g *observance
		for _, o := range groups {
			if o.zoneTransition == key {
				g = o
				break
			}
		}
		if g == nil {
			g = &observance{zoneTransition: key}
			groups = append(groups, g)
		}
		g.onsets = append(g.onsets, tr.At)
	}

	for _, g := range groups {
		var c *ics.ComponentBase
		if g.DST {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			c = &d.ComponentBase
		} else {
			s := ics.NewStandard()
			tz.Components = append(tz.Components, s)
			c = &s.ComponentBase
		}
		c.AddProperty(ics.ComponentPropertyDtStart, g.localOnset(g.onsets[0]))
		c.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(g.From))
		c.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(g.To))
		if rule, ok := g.yearlyRule(); ok {
			c.AddProperty(ics.ComponentPropertyRrule, rule)
		} else {
			for _, at := range g.onsets[1:] {
				c.AddProperty(ics.ComponentPropertyRdate, g.localOnset(at))
			}
		}
		c.AddProperty(ics.ComponentProperty(ics.PropertyTzname), g.Name)
	}
	return tz
}

// localOnset is an onset as the wall clock read just before it, the form
// DTSTART and RDATE take inside a VTIMEZONE. A period with no onset starts
// at the epoch.
func (g *observance) localOnset(at time.Time) string {
	if at.IsZero() {
		return "19700101T000000"
	}
	return at.In(time.FixedZone("", g.From)).Format(icsLocalFormat)
}

var icsWeekdays = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// yearlyRule finds the rule the onsets follow, if any: one a year in
// consecutive years, same month, weekday and wall time, and the same week of
// the month (1st-4th, or the last). UNTIL (in UTC, as RFC 5545 requires
// here) is the last onset, so the rule never speaks beyond the data.
func (g *observance) yearlyRule() (string, bool) {
	if len(g.onsets) < 2 || g.onsets[0].IsZero() {
		return "", false
	}
	zone := time.FixedZone("", g.From)
	first := g.onsets[0].In(zone)
	nth, last := weekOfMonth(first)
	for i, at := range g.onsets {
		l := at.In(zone)
		if l.Year() != first.Year()+i || l.Month() != first.Month() || l.Weekday() != first.Weekday() ||
			l.Hour() != first.Hour() || l.Minute() != first.Minute() || l.Second() != first.Second() {
			return "", false
		}
		n, isLast := weekOfMonth(l)
		if n != nth || nth > 4 {
			nth = 0 // not one fixed ordinal; the last week may still fit
		}
		last = last && isLast
	}
	var byDay string
	switch {
	case nth >= 1 && nth <= 4:
		byDay = fmt.Sprintf("%d%s", nth, icsWeekdays[first.Weekday()])
	case last:
		byDay = "-1" + icsWeekdays[first.Weekday()]
	default:
		return "", false
	}
	until := g.onsets[len(g.onsets)-1].UTC().Format(icsUTCFormat)
	return fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%s;UNTIL=%s", first.Month(), byDay, until), true
}

// weekOfMonth is the ordinal of t's weekday in its month (1 = first) and
// whether it is the month's last such weekday.
func weekOfMonth(t time.Time) (int, bool) {
	daysInMonth := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return (t.Day()-1)/7 + 1, t.Day()+7 > daysInMonth
}

// utcOffset formats seconds east of UTC as iCalendar's UTC-OFFSET (+HHMM,
// or +HHMMSS when seconds remain).
func utcOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	h, m, s := seconds/3600, seconds/60%60, seconds%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}
