package billing

import (
	"errors"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// Stripe events are processed by the workflow engine: storing an event
// starts a "stripe_event" run in the same transaction (idempotency key:
// the event id), so an event is never stored without the run that will
// process it, and a run never exists for an event that was not stored. The
// run retries with backoff and dead-letters after its last attempt; the
// event keeps its own status for `billing reprocess`. An app without an
// engine (or whose engine does not know the workflow) falls back to the
// service's in-process queue.

// StripeEventInput names the stored event a run processes.
type StripeEventInput struct {
	Event string `json:"event"`
}

// Validate checks the input before a run is made.
func (in StripeEventInput) Validate() error {
	return validation.ValidateStruct(&in, validation.Field(&in.Event, validation.Required, validation.Length(1, 255)))
}

type stripeEventState struct {
	Event  string `json:"event"`
	Status string `json:"status,omitempty"` // the event's status after processing
	Note   string `json:"note,omitempty"`
}

// StripeEventWorkflow processes one stored Stripe event.
var StripeEventWorkflow = workflows.Define("stripe_event", 1,
	func(in StripeEventInput) stripeEventState { return stripeEventState{Event: in.Event} },
	workflows.Task("process", processEventStep).
		Retry(workflows.RetryPolicy{MaxAttempts: 6, Initial: 2 * time.Second, Max: 10 * time.Minute}).
		Timeout(2*time.Minute),
).Result(func(s *stripeEventState) any { return s })

// Workflows registers billing's workflow on reg (the wiring calls it).
func Workflows(reg *workflows.Registry) error {
	return reg.Register(StripeEventWorkflow)
}

// processEventStep runs Process, which is idempotent on its own (the
// event's status, unique ledger and notice keys), so a retried or re-run
// node applies the event once.
func processEventStep(s *workflows.Step[stripeEventState]) error {
	if err := From(s.App()).Process(s, s.State.Event); err != nil {
		return err
	}
	if rec, err := s.App().FindFirstRecordByData(eventsCollection, "event_id", s.State.Event); err == nil {
		s.State.Status, s.State.Note = rec.GetString("status"), rec.GetString("error")
	}
	return nil
}

// startEventRun starts the event's run on app's engine (with txApp, in
// that transaction); false when there is no engine to take it.
func startEventRun(app core.App, eventID string) (bool, error) {
	if workflows.EngineOf(app) == nil {
		return false, nil
	}
	_, err := workflows.Start(app, StripeEventWorkflow, StripeEventInput{Event: eventID},
		workflows.StartOptions{IdempotencyKey: eventID, Subject: eventsCollection + ":" + eventID})
	if errors.Is(err, workflows.ErrNotRegistered) {
		return false, nil
	}
	return err == nil, err
}
