package letters

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// invite.go: a lesson as an iTIP invitation (RFC 5546) in an .ics
// attachment. Every message about one lesson carries the same UID and a
// SEQUENCE that grows with each change, so a calendar app that took the
// first invite updates (or, on CANCEL, removes) that event. Times are
// written in UTC: no VTIMEZONE is needed and no client misreads them; the
// app shows them in the reader's own zone.

// Method is the iTIP method of an invite.
type Method string

const (
	Request Method = "REQUEST" // a new or changed lesson
	Cancel  Method = "CANCEL"  // a cancelled lesson
)

// InviteFileName is the attachment's name.
const InviteFileName = "invite.ics"

// Person is an organizer or attendee.
type Person struct{ Name, Email string }

// Invite is one lesson as a calendar invitation.
type Invite struct {
	Method    Method
	LessonID  string
	Start     time.Time
	End       time.Time
	Summary   string // "Piano lesson with Xavier"
	Location  string
	Notes     string // DESCRIPTION
	Organizer Person // the academy's sender address
	Attendees []Person
	// Created and Updated are the lesson record's: SEQUENCE is derived
	// from them (Sequence), so every saved change raises it.
	Created, Updated time.Time
	// Stamp is when the invite is made (DTSTAMP); zero means now.
	Stamp time.Time
}

// LessonUID is the invite UID of a lesson: the same for every message
// about it, whatever the settings say, so it never splits into two events.
func LessonUID(lessonID string) string { return lessonID + "@cedarheights" }

// Sequence is the seconds from a lesson's creation to its last change: 0
// for a new lesson and larger after every later save, as iCalendar's
// SEQUENCE must be, without a counter to keep. The calendar feeds use it
// too, so a feed and an invite describe one event.
func Sequence(created, updated time.Time) int {
	seq := updated.Unix() - created.Unix()
	if seq < 0 || created.IsZero() || updated.IsZero() {
		return 0
	}
	return int(min(seq, 1<<31-1))
}

const icsUTC = "20060102T150405Z"

// ICS renders the invite, CRLF-terminated and folded as RFC 5545 asks.
func (inv Invite) ICS() ([]byte, error) {
	if err := inv.validate(); err != nil {
		return nil, err
	}
	cal := newCalendar(ics.Method(inv.Method))
	inv.addTo(cal)
	return serialize(cal)
}

func newCalendar(method ics.Method) *ics.Calendar {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Cedar Heights//Lessons//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(method)
	return cal
}

func serialize(cal *ics.Calendar) ([]byte, error) {
	var b bytes.Buffer
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// addTo adds the lesson's VEVENT to cal.
func (inv Invite) addTo(cal *ics.Calendar) {
	e := ics.NewEvent(LessonUID(inv.LessonID))
	stamp := inv.Stamp
	if stamp.IsZero() {
		stamp = time.Now()
	}
	e.SetDtStampTime(stamp.UTC())
	if !inv.Created.IsZero() {
		e.SetCreatedTime(inv.Created.UTC())
	}
	if !inv.Updated.IsZero() {
		e.SetModifiedAt(inv.Updated.UTC())
	}
	e.SetSequence(Sequence(inv.Created, inv.Updated))
	e.SetProperty(ics.ComponentPropertyDtStart, inv.Start.UTC().Format(icsUTC))
	e.SetProperty(ics.ComponentPropertyDtEnd, inv.End.UTC().Format(icsUTC))
	e.SetSummary(inv.Summary)
	if inv.Location != "" {
		e.SetLocation(inv.Location)
	}
	if inv.Notes != "" {
		e.SetDescription(strings.ReplaceAll(inv.Notes, "\r\n", "\n"))
	}
	e.SetOrganizer(inv.Organizer.Email, cn(inv.Organizer)...)
	for _, a := range inv.Attendees {
		// RSVP=FALSE: the academy does not read replies; the family changes a
		// lesson through the academy, not by declining the invite.
		params := append(cn(a), ics.ParticipationRoleReqParticipant, ics.ParticipationStatusNeedsAction, ics.WithRSVP(false))
		e.AddAttendee(a.Email, params...)
	}
	if inv.Method == Cancel {
		e.SetStatus(ics.ObjectStatusCancelled)
		e.SetTimeTransparency(ics.TransparencyTransparent)
	} else {
		e.SetStatus(ics.ObjectStatusConfirmed)
		e.SetTimeTransparency(ics.TransparencyOpaque)
	}
	cal.AddVEvent(e)
}

func cn(p Person) []ics.PropertyParameter {
	name := cnText(p.Name)
	if name == "" {
		return nil
	}
	return []ics.PropertyParameter{ics.WithCN(name)}
}

// cnText makes a name safe for a CN parameter. golang-ical backslash-escapes
// , ; : ' and \ in parameter values, which RFC 5545 does not know (they
// would show as typed, backslash included), so those characters are
// replaced before: an apostrophe by its typographic twin, the others by a
// space.
var cnReplacer = strings.NewReplacer("'", "’", `"`, "", `\`, " ", ",", " ", ";", " ", ":", " ")

func cnText(name string) string {
	return strings.Join(strings.Fields(cnReplacer.Replace(name)), " ")
}

func (inv Invite) validate() error {
	switch {
	case inv.Method != Request && inv.Method != Cancel:
		return errors.New("letters: invite method must be REQUEST or CANCEL")
	case strings.TrimSpace(inv.LessonID) == "":
		return errors.New("letters: invite needs the lesson id")
	case inv.Start.IsZero() || !inv.End.After(inv.Start):
		return errors.New("letters: invite needs a start before its end")
	case strings.TrimSpace(inv.Summary) == "":
		return errors.New("letters: invite needs a summary")
	case len(inv.Attendees) == 0:
		return errors.New("letters: invite needs at least one attendee")
	}
	for _, p := range append([]Person{inv.Organizer}, inv.Attendees...) {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			return errors.New("letters: " + p.Email + " is not a plain e-mail address")
		}
	}
	return nil
}
