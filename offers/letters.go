package offers

import (
	"fmt"
	"strings"
	"time"

	"cedarheights/letters"
)

// letters.go: what the offers' mails say. Every letter names the slot the
// same way (when, how long, teacher, instrument) and says plainly what
// accepting does to the family's schedule or credits. The booking an
// acceptance makes is confirmed by the lesson's own mail (notify).

func slotDetails(sl slot) []letters.Detail {
	return []letters.Detail{
		{Label: "When", Value: whenWords(sl.Start, sl.Zone)},
		{Label: "Length", Value: fmt.Sprintf("%d minutes", int(sl.minutes()/time.Minute))},
		{Label: "Teacher", Value: sl.TeacherName},
		{Label: "Instrument", Value: sl.InstrumentName},
	}
}

func greeting(name string) string {
	if strings.TrimSpace(name) == "" {
		return "Hello,"
	}
	return "Hello " + name + ","
}

func lower(s string) string { return strings.ToLower(s) }

// offerLetter invites a family to take the slot through link.
func offerLetter(sl slot, c candidate, closes time.Time, link string) (letters.Rendered, error) {
	l := letters.Letter{
		Subject:  fmt.Sprintf("A %s slot is free: %s", lower(sl.InstrumentName), whenWords(sl.Start, sl.Zone)),
		Greeting: greeting(c.FamilyName),
		Details:  append(slotDetails(sl), letters.Detail{Label: "Offer open until", Value: whenWords(closes, sl.Zone)}),
		Action:   &letters.Action{Label: "See the slot and book it", URL: link},
	}
	if c.Kind == "move" {
		l.Paragraphs = []string{
			fmt.Sprintf("A %s lesson with %s has just become free. You asked us for a different weekly time for %s: %s's lesson of %s can move to this time instead.",
				lower(sl.InstrumentName), sl.TeacherName, c.StudentName, c.StudentName, whenWords(c.MovesStart, sl.Zone)),
			"The slot goes to the first family to book it.",
		}
		l.Footer = fmt.Sprintf("You get this because you asked for a different weekly time for %s.", c.StudentName)
	} else {
		l.Paragraphs = []string{
			fmt.Sprintf("A %s lesson with %s has just become free. %s can have it as a make-up lesson, using one of %s's make-up credits.",
				lower(sl.InstrumentName), sl.TeacherName, c.StudentName, c.StudentName),
			"The slot goes to the first family to book it.",
		}
		l.Footer = fmt.Sprintf("You get this because %s has an unused make-up credit.", c.StudentName)
	}
	return letters.Layout{Academy: sl.Academy}.Render(l)
}

// goneLetter tells a family another family took the slot first.
func goneLetter(sl slot, c candidate) (letters.Rendered, error) {
	keep := fmt.Sprintf("%s's make-up credit is still there for another time.", c.StudentName)
	if c.Kind == "move" {
		keep = fmt.Sprintf("%s's lesson stays at its usual time.", c.StudentName)
	}
	return letters.Layout{Academy: sl.Academy}.Render(letters.Letter{
		Subject:    fmt.Sprintf("The %s slot of %s is gone", lower(sl.InstrumentName), whenWords(sl.Start, sl.Zone)),
		Greeting:   greeting(c.FamilyName),
		Paragraphs: []string{"Another family booked this slot first, so it is no longer free.", keep},
		Details:    slotDetails(sl),
		Footer:     "You get this because we offered you this slot.",
	})
}
