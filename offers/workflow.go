package offers

import (
	"errors"
	"regexp"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// workflow.go: one run per cancellation of a lesson far enough ahead.
//
//	offer_makeups ─▶ first_round ─┬─ offers made ─▶ wait_makeups ─┬─ accepted ─▶ settle_taken
//	                              │                 (until the    └─ second round due ─┐
//	                              │                  second round)                     │
//	                              ├─ none ──────────────────────────────────────▶ offer_moves
//	                              └─ nothing to offer ─▶ not_offered                   │
//	offer_moves ─▶ second_round ─┬─ offers open ─▶ wait_all ─┬─ accepted ─▶ settle_taken
//	                             │                (until the └─ closed ───▶ settle_expired
//	                             │                 close)
//	                             └─ none ─▶ not_offered
//
// Offers and their mails are written in the checkpoint of the node that
// makes them (exactly once); the acceptance is decided by Accept in its own
// transaction and reaches the run as an event.

// Input names the freed lesson and when its offers close.
type Input struct {
	Lesson      string    `json:"lesson"`
	Close       time.Time `json:"close"`
	SecondRound time.Time `json:"second_round"`
}

var recordID = regexp.MustCompile(`^[A-Za-z0-9_]{1,100}$`)

// Validate checks the input before a run is made.
func (in Input) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.Lesson, validation.Required, validation.Match(recordID).Error("Must be a record id.")),
		validation.Field(&in.Close, validation.Required),
		validation.Field(&in.SecondRound, validation.Required, validation.By(func(any) error {
			if in.SecondRound.After(in.Close) {
				return validation.NewError("validation_second_round", "Must not be after the close.")
			}
			return nil
		})),
	)
}

type state struct {
	Lesson      string    `json:"lesson"`
	Close       time.Time `json:"close"`
	SecondRound time.Time `json:"second_round"`
	Key         string    `json:"key"`               // the acceptance event's key
	Problem     string    `json:"problem,omitempty"` // why nothing (more) is offered
	FirstRound  int       `json:"first_round"`       // offers made to credit holders
	Moves       int       `json:"moves"`             // offers made to students who asked for another time
	Taken       string    `json:"taken,omitempty"`   // the accepted offer
	Outcome     string    `json:"outcome,omitempty"` // taken, expired, not_offered
}

// Result is what a finished run reports.
type Result struct {
	Lesson  string `json:"lesson"`
	Outcome string `json:"outcome"`
	Offered int    `json:"offered"`
	Taken   string `json:"taken,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// maxWait bounds each wait; Until (the state's deadlines) ends it sooner.
const maxWait = 8 * 24 * time.Hour

// SlotOffers offers one freed slot.
var SlotOffers = workflows.Define("slot_offers", 1,
	func(in Input) state { return state{Lesson: in.Lesson, Close: in.Close, SecondRound: in.SecondRound} },
	workflows.Task("offer_makeups", offerMakeups).Then("first_round"),
	workflows.Router("first_round", func(s *state) string {
		switch {
		case s.Problem != "":
			return "nothing"
		case s.FirstRound > 0:
			return "wait"
		}
		return "next"
	}).Branch("wait", "wait_makeups").Branch("nothing", "not_offered").Fallback("offer_moves"),
	workflows.Wait("wait_makeups", eventKeyOf, maxWait).
		Until(func(s *state) time.Time { return s.SecondRound }).
		OnEvent(receiveAcceptance).Then("settle_taken").OnTimeout("offer_moves"),
	workflows.Task("offer_moves", offerMoves).Then("second_round"),
	workflows.Router("second_round", func(s *state) string {
		if s.FirstRound+s.Moves > 0 {
			return "wait"
		}
		return "nothing"
	}).Branch("wait", "wait_all").Fallback("not_offered"),
	workflows.Wait("wait_all", eventKeyOf, maxWait).
		Until(func(s *state) time.Time { return s.Close }).
		OnEvent(receiveAcceptance).Then("settle_taken").OnTimeout("settle_expired"),
	workflows.Task("settle_taken", settle),
	workflows.Task("settle_expired", settle),
	workflows.Task("not_offered", func(s *workflows.Step[state]) error {
		s.State.Outcome = "not_offered"
		if s.State.Problem == "" {
			s.State.Problem = "no family with a make-up credit or a wish for another weekly time fits the slot"
		}
		return nil
	}),
).Result(func(s *state) any {
	return Result{Lesson: s.Lesson, Outcome: s.Outcome, Offered: s.FirstRound + s.Moves, Taken: s.Taken, Reason: s.Problem}
})

// Workflows registers the offers workflow and its trigger on reg.
func Workflows(reg *workflows.Registry) error {
	if err := reg.Register(SlotOffers); err != nil {
		return err
	}
	workflows.OnRecordUpdate(reg, "lessons", SlotOffers, offersForCancelledLesson)
	return nil
}

// offersForCancelledLesson starts a run when a lesson becomes cancelled
// with enough time left to offer its slot (see Timing). It runs in the
// cancelling transaction: the cancellation and its run commit together.
func offersForCancelledLesson(_ core.App, lesson *core.Record) (Input, workflows.StartOptions, error) {
	if lesson.GetString("status") != "cancelled" || lesson.Original().GetString("status") == "cancelled" {
		return Input{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	d, ok := timing.deadlines(lesson.GetDateTime("start").Time(), time.Now())
	if !ok {
		return Input{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	// One run per cancellation: a lesson reinstated and cancelled again is
	// offered again.
	key := "slot_offers:" + lesson.Id + ":" + lesson.GetDateTime("cancelled_at").String()
	return Input{Lesson: lesson.Id, Close: d.Close, SecondRound: d.SecondRound},
		workflows.StartOptions{IdempotencyKey: key, Subject: "lessons:" + lesson.Id}, nil
}

// eventKey is the key an acceptance of run's offers is signalled on.
func eventKey(run string) string { return "slot_offers:" + run }

func eventKeyOf(s *state) string { return s.Key }

func receiveAcceptance(s *state, ev workflows.Event) error {
	var body acceptedEvent
	if err := decodeEvent(ev, &body); err != nil {
		return err
	}
	s.Taken = body.Offer
	return nil
}

var errNoOffer = errors.New("the acceptance event names no offer")
