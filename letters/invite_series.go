package letters

import (
	"errors"

	ics "github.com/arran4/golang-ical"
)

// invite_series.go: the lessons of a weekly series in one .ics. An iTIP
// REQUEST is about one event (one UID), and mail clients show only the
// first event of a REQUEST that holds several, so the series goes out as
// METHOD:PUBLISH: one VEVENT per lesson, each with that lesson's own UID
// and SEQUENCE. Calendar apps import them all, and a later REQUEST or
// CANCEL about one lesson (a move, a cancellation) updates the imported
// event, since it carries the same UID.

// Publish is the method of a series file.
const Publish Method = "PUBLISH"

// SeriesFileName is the series attachment's name.
const SeriesFileName = "lessons.ics"

// MaxSeriesInvites bounds one series file (a school year of weekly lessons
// is about 40; scheduling caps a series at 60).
const MaxSeriesInvites = 100

// SeriesICS renders the invites (their Method is ignored) as one PUBLISH
// calendar.
func SeriesICS(invites []Invite) ([]byte, error) {
	if len(invites) == 0 || len(invites) > MaxSeriesInvites {
		return nil, errors.New("letters: a series file holds 1 to 100 lessons")
	}
	cal := newCalendar(ics.Method(Publish))
	for _, inv := range invites {
		inv.Method = Request // validated and written as a confirmed event
		if err := inv.validate(); err != nil {
			return nil, err
		}
		inv.addTo(cal)
	}
	return serialize(cal)
}
