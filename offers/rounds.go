package offers

import (
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/workflows"
)

// rounds.go: the two rounds of offers. Each round's offers and mails are
// written in its node's checkpoint, so a retried or re-run node offers
// once.

// tokenLength: 40 characters of 62 give about 238 random bits.
const tokenLength = 40

func offerMakeups(s *workflows.Step[state]) error {
	st := s.State
	st.Key = eventKey(s.RunID())
	sl, problem, err := loadSlot(s.App(), st.Lesson, st.Close)
	if err != nil || problem != "" {
		st.Problem = problem
		return err
	}
	cands, err := makeupCandidates(s.App(), sl, nil)
	if err != nil {
		return err
	}
	st.FirstRound = len(cands)
	return makeOffers(s, sl, cands)
}

func offerMoves(s *workflows.Step[state]) error {
	st := s.State
	app := s.App()
	// Taken while the first round closed: no second round.
	if n, err := app.CountRecords("slot_offers", dbx.HashExp{"run": s.RunID(), "status": "taken"}); err != nil || n > 0 {
		return err
	}
	sl, problem, err := loadSlot(app, st.Lesson, st.Close)
	if err != nil || problem != "" {
		st.Problem = problem
		return err
	}
	offered, err := app.FindAllRecords("slot_offers", dbx.HashExp{"run": s.RunID()})
	if err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, o := range offered {
		skip[o.GetString("family")] = true
	}
	cands, err := moveCandidates(app, sl, st.Close, skip)
	if err != nil {
		return err
	}
	st.Moves = len(cands)
	return makeOffers(s, sl, cands)
}

// makeOffers queues one slot_offers row and one mail per candidate.
func makeOffers(s *workflows.Step[state], sl slot, cands []candidate) error {
	if len(cands) == 0 {
		return nil
	}
	base := offerBaseURL(s.App())
	run, closes := s.RunID(), s.State.Close
	type made struct {
		c     candidate
		token string
	}
	list := make([]made, 0, len(cands))
	for _, c := range cands {
		m := made{c: c, token: security.RandomString(tokenLength)}
		list = append(list, m)
		letter, err := offerLetter(sl, c, closes, base+m.token)
		if err != nil {
			return workflows.Permanent(err)
		}
		s.Mail(workflows.Mail{
			To: []string{c.FamilyEmail}, Subject: letter.Subject, HTML: letter.HTML, Text: letter.Text,
			IdempotencyKey: "slot-offer:" + run + ":" + c.Student,
		})
	}
	s.Write(func(tx core.App) error {
		col, err := tx.FindCachedCollectionByNameOrId("slot_offers")
		if err != nil {
			return err
		}
		for _, m := range list {
			r := core.NewRecord(col)
			r.Load(map[string]any{
				"lesson": sl.Lesson, "teacher": sl.Teacher, "instrument": sl.Instrument,
				"start": sl.Start, "end": sl.End, "family": m.c.Family, "student": m.c.Student,
				"kind": m.c.Kind, "moves": m.c.Moves, "moves_start": m.c.MovesStart, "token": m.token, "run": run,
				"status": "open", "expires_at": closes,
			})
			if err := tx.Save(r); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

// offerURLPath is where an offer's link points, before its token.
const offerURLPath = "/api/v1/offers/"

// offerBaseURL is the application URL the mails link to.
func offerBaseURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/") + offerURLPath
}

// whenWords says a time the way the letters do, in the academy's zone.
func whenWords(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("Monday 2 January at 15:04 (MST)")
}
