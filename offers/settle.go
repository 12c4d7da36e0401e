package offers

import (
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/workflows"
)

// settle.go: the end of a run. With a winner: every other open offer is
// marked gone and its family told. Without one (the offers closed): the
// open offers are marked expired, quietly; an expiry needs no mail.

// errTakenMeanwhile: an acceptance committed after settle read the offers
// as all open; the retry settles it as taken.
var errTakenMeanwhile = errors.New("offers: an offer was taken while the run settled")

func settle(s *workflows.Step[state]) error {
	app, st, run := s.App(), s.State, s.RunID()
	offers, err := app.FindAllRecords("slot_offers", dbx.HashExp{"run": run})
	if err != nil {
		return err
	}
	var winner *core.Record
	var open []*core.Record
	for _, o := range offers {
		switch o.GetString("status") {
		case "taken":
			winner = o
		case "open":
			open = append(open, o)
		}
	}
	now := time.Now().UTC()
	if winner == nil {
		st.Outcome = "expired"
		s.Write(func(tx core.App) error {
			if n, err := tx.CountRecords("slot_offers", dbx.HashExp{"run": run, "status": "taken"}); err != nil || n > 0 {
				return errors.Join(err, errTakenMeanwhile)
			}
			return closeOffers(tx, open, "expired", now)
		})
		return nil
	}

	// The winner's booking is told by the lesson's own mail (notify: a
	// make-up booked, or a lesson moved, with its .ics, to the family and
	// the teacher), started by the booking's write; here only the others.
	st.Outcome, st.Taken = "taken", winner.Id
	sl, err := describeSlot(app, winner)
	if err != nil {
		return err
	}
	for _, o := range open {
		c, err := describeCandidate(app, o)
		if err != nil {
			return err
		}
		gone, err := goneLetter(sl, c)
		if err != nil {
			return workflows.Permanent(err)
		}
		s.Mail(workflows.Mail{To: []string{c.FamilyEmail}, Subject: gone.Subject, HTML: gone.HTML, Text: gone.Text,
			IdempotencyKey: "slot-offer-gone:" + o.Id})
	}
	s.Write(func(tx core.App) error { return closeOffers(tx, open, "gone", now) })
	return nil
}

// closeOffers marks the offers that are still open (read again in tx)
// with status.
func closeOffers(tx core.App, offers []*core.Record, status string, now time.Time) error {
	for _, o := range offers {
		fresh, err := tx.FindRecordById("slot_offers", o.Id)
		if err != nil {
			return err
		}
		if fresh.GetString("status") != "open" {
			continue
		}
		fresh.Set("status", status)
		fresh.Set("decided_at", now)
		if err := tx.Save(fresh); err != nil {
			return err
		}
	}
	return nil
}

// describeSlot is the offered slot as its offer records it (the freed
// lesson itself may have changed since).
func describeSlot(app core.App, offer *core.Record) (slot, error) {
	if errs := app.ExpandRecord(offer, []string{"teacher", "instrument"}, nil); len(errs) > 0 {
		return slot{}, fmt.Errorf("offer %s: %v", offer.Id, errs)
	}
	settings, err := academy.Load(app)
	if err != nil {
		return slot{}, err
	}
	sl := slot{
		Lesson: offer.GetString("lesson"), Teacher: offer.GetString("teacher"), Instrument: offer.GetString("instrument"),
		Start: offer.GetDateTime("start").Time(), End: offer.GetDateTime("end").Time(),
		Zone: settings.Zone, Academy: settings.Name, Notice: settings.CancellationNotice,
	}
	if t := offer.ExpandedOne("teacher"); t != nil {
		sl.TeacherName = t.GetString("display_name")
	}
	if i := offer.ExpandedOne("instrument"); i != nil {
		sl.InstrumentName = i.GetString("name")
	}
	return sl, nil
}

// describeCandidate is the family and student an offer was made to.
func describeCandidate(app core.App, offer *core.Record) (candidate, error) {
	if errs := app.ExpandRecord(offer, []string{"family", "student"}, nil); len(errs) > 0 {
		return candidate{}, fmt.Errorf("offer %s: %v", offer.Id, errs)
	}
	c := candidate{Family: offer.GetString("family"), Student: offer.GetString("student"), Kind: offer.GetString("kind"),
		Moves: offer.GetString("moves"), MovesStart: offer.GetDateTime("moves_start").Time()}
	if f := offer.ExpandedOne("family"); f != nil {
		c.FamilyName, c.FamilyEmail = f.GetString("name"), f.Email()
	}
	if st := offer.ExpandedOne("student"); st != nil {
		c.StudentName = st.GetString("first_name")
	}
	if c.FamilyEmail == "" {
		return c, fmt.Errorf("offer %s: the family has no e-mail address", offer.Id)
	}
	return c, nil
}
