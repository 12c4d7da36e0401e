package offers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/audit"
	"cedarheights/lessons"
	"cedarheights/scheduling"
	"cedarheights/workflows"
)

// accept.go: an acceptance is decided in the one transaction that books:
// the offer is read, its run's other offers are checked for a winner, the
// lesson is written through the lesson guard (which refuses a slot that is
// no longer free and spends the make-up credit), the offer is marked taken
// and the run is signalled, all or nothing. SQLite has one writer, so of
// concurrent acceptances the first commits and the others then see it.

// Acceptance is a decided offer.
type Acceptance struct {
	Offer  *core.Record
	Lesson *core.Record // the lesson booked (make-up) or moved
	Again  bool         // the offer was already accepted: nothing new was done
}

type acceptedEvent struct {
	Offer string `json:"offer"`
}

func decodeEvent(ev workflows.Event, v *acceptedEvent) error {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		return err
	}
	if v.Offer == "" {
		return errNoOffer
	}
	return nil
}

// Refusals, in PocketBase's error shape.
var (
	errOfferNotFound = router.NewNotFoundError("No such offer: check the link in your mail.", nil)
	errSlotGone      = router.NewApiError(http.StatusConflict, "The slot is gone: another family booked it first.",
		validation.Errors{"offer": validation.NewError("offer_gone", "The slot is no longer free.")})
	errOfferExpired = router.NewApiError(http.StatusGone, "The offer has expired.",
		validation.Errors{"offer": validation.NewError("offer_expired", "Offers close before the lesson starts.")})
	errMoveChanged = router.NewApiError(http.StatusConflict, "The lesson this offer would move has changed since the offer was made.",
		validation.Errors{"moves": validation.NewError("offer_move_changed", "Ask the academy to move it instead.")})
)

// FindByToken returns the offer a link's token names (an
// errOfferNotFound API error when there is none).
func FindByToken(app core.App, token string) (*core.Record, error) {
	if !tokenPattern.MatchString(token) {
		return nil, errOfferNotFound
	}
	offer, err := app.FindFirstRecordByData("slot_offers", "token", token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOfferNotFound
	}
	return offer, err
}

// Accept books the offer named by token for its family. by is who asked
// (its request id and address are kept); the writes are recorded as the
// offer's family, whose link it is, so the lesson guard applies the
// family's rules (a make-up spends a credit, a move keeps its length and
// the academy's notice).
func Accept(app core.App, token string, by audit.Actor) (*Acceptance, error) {
	var res *Acceptance
	err := app.RunInTransaction(func(tx core.App) error {
		offer, err := FindByToken(tx, token)
		if err != nil {
			return err
		}
		by.Name = "users:" + offer.GetString("family")
		return audit.RunInTransaction(tx, by, func(tx core.App) error {
			res, err = accept(tx, offer)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func accept(tx core.App, offer *core.Record) (*Acceptance, error) {
	now := time.Now()
	switch offer.GetString("status") {
	case "taken":
		lesson, err := tx.FindRecordById("lessons", offer.GetString("booked"))
		if err != nil {
			return nil, err
		}
		return &Acceptance{Offer: offer, Lesson: lesson, Again: true}, nil
	case "gone":
		return nil, errSlotGone
	case "expired":
		return nil, errOfferExpired
	}
	if !now.Before(offer.GetDateTime("expires_at").Time()) {
		return nil, errOfferExpired
	}
	taken, err := tx.CountRecords("slot_offers", dbx.HashExp{"run": offer.GetString("run"), "status": "taken"})
	if err != nil {
		return nil, err
	}
	if taken > 0 {
		return nil, errSlotGone
	}

	lesson, err := bookingFor(tx, offer)
	if err != nil {
		return nil, err
	}
	if err := tx.Save(lesson); err != nil {
		return nil, refusal(err)
	}
	offer.Set("status", "taken")
	offer.Set("booked", lesson.Id)
	offer.Set("decided_at", now.UTC())
	if err := tx.Save(offer); err != nil {
		return nil, err
	}
	_, err = workflows.Signal(tx, eventKey(offer.GetString("run")), acceptedEvent{Offer: offer.Id},
		workflows.SignalOptions{EventID: "slot_offer_taken:" + offer.Id})
	if err != nil {
		return nil, err
	}
	return &Acceptance{Offer: offer, Lesson: lesson}, nil
}

// bookingFor is the lesson write an acceptance makes: a new make-up lesson
// in the slot, or the offered lesson moved into it.
func bookingFor(tx core.App, offer *core.Record) (*core.Record, error) {
	if offer.GetString("kind") == "move" {
		lesson, err := tx.FindRecordById("lessons", offer.GetString("moves"))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errMoveChanged
		}
		if err != nil {
			return nil, err
		}
		if lesson.GetString("status") != "scheduled" || lesson.GetString("student") != offer.GetString("student") ||
			!lesson.GetDateTime("start").Equal(offer.GetDateTime("moves_start")) {
			return nil, errMoveChanged
		}
		lesson.Set("start", offer.GetDateTime("start"))
		lesson.Set("end", offer.GetDateTime("end"))
		return lesson, nil
	}
	col, err := tx.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return nil, err
	}
	lesson := core.NewRecord(col)
	lesson.Load(map[string]any{
		"teacher": offer.GetString("teacher"), "student": offer.GetString("student"),
		"instrument": offer.GetString("instrument"), "start": offer.GetDateTime("start"), "end": offer.GetDateTime("end"),
		"kind": "makeup", "status": "scheduled",
	})
	return lesson, nil
}

// refusal words the guard's refusal for the family: the teacher or the
// room taken again means the slot is gone; anything else (the student
// busy then, no credit left, a rule of the lifecycle) is the guard's own
// answer, field by field.
func refusal(err error) error {
	var conflict *lessons.ConflictError
	if errors.As(err, &conflict) {
		for _, c := range conflict.Conflicts {
			switch c.Reason {
			case scheduling.ReasonTeacherBusy, scheduling.ReasonRoomBusy, scheduling.ReasonTimeOff, scheduling.ReasonClosure, scheduling.ReasonOutsideAvailability:
				return errSlotGone
			}
		}
		return conflict.API()
	}
	return err
}
