package enrollment

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/workflows"
)

// payment.go: the payment setup. Offline billing sets up nothing (the
// office records payments by hand). Online, the family's Stripe customer is
// made (once per family), the card it gave is attached (Stripe refuses a
// declining card there) and the subscription is made with a trial that
// ends the day after the trial lesson, so nothing is charged before it.
// Every Stripe call carries an idempotency key, and Subscribe refuses a
// second subscription for the enrollment, so a retried node makes one.
//
// The setup is pending when the subscription starts incomplete, or when it
// starts trialing with a SetupIntent that waits for the family (a card
// that needs 3-D Secure): the run then waits on the enrollment, which
// Stripe's webhooks move (signalPaid).

func paymentNode(s *workflows.Step[state]) error {
	st := s.State
	svc := billing.From(s.App())
	if !svc.Online() {
		st.Payment = "offline"
		return nil
	}
	if st.In.PaymentMethod != "" {
		err := svc.AttachPaymentMethod(s, st.Parent, st.In.PaymentMethod)
		var declined *billing.DeclinedError
		if errors.As(err, &declined) {
			return workflows.Permanent(reason(declined.Error()))
		}
		if err != nil {
			return err
		}
	}
	enr, err := s.App().FindRecordById("enrollments", st.Enrollment)
	if err != nil {
		return err
	}
	if enr.GetString("stripe_subscription_id") == "" {
		days := int(math.Ceil(time.Until(st.TrialStart).Hours()/24)) + 1
		if enr, err = svc.Subscribe(s, st.Enrollment, billing.SubscribeOptions{TrialDays: max(days, 1)}); err != nil {
			return err
		}
	}
	st.Subscription = enr.GetString("stripe_subscription_id")
	st.Payment = enr.GetString("stripe_status")
	st.SetupIntent = enr.GetString(billing.SetupIntentField)
	return nil
}

// cancelPayment (compensation) cancels the subscription made for the
// enrollment, at once.
func cancelPayment(s *workflows.Step[state]) error {
	st := s.State
	if st.Enrollment == "" || !billing.From(s.App()).Online() {
		return nil
	}
	enr, err := findRecord(s.App(), "enrollments", st.Enrollment)
	if err != nil || enr == nil || enr.GetString("stripe_subscription_id") == "" {
		return err
	}
	_, err = billing.From(s.App()).CancelSubscription(s, st.Enrollment)
	return err
}

// signalPaid tells a run waiting for the payment setup how it ended, in
// the transaction that records it: the enrollment became active because
// Stripe's mirror says so (the subscription left incomplete, or its
// SetupIntent succeeded), or Stripe could not set the card up (the payload
// carries its words and the wait fails the run).
func signalPaid(e *core.RecordEvent) error {
	rec, old := e.Record, e.Record.Original()
	if rec.GetString("run") == "" {
		return e.Next()
	}
	payload := map[string]any{"enrollment": rec.Id}
	// Only Stripe's mirror completes a pending setup; the run's own record
	// node activating it signals nothing.
	mirrored := rec.GetString("stripe_status") != old.GetString("stripe_status") ||
		(billing.SetupPending(old) && !billing.SetupPending(rec))
	failed := rec.GetString(billing.SetupErrorField)
	switch {
	case rec.GetString("status") == "active" && old.GetString("status") == "pending" && mirrored:
	case rec.GetString("status") == "pending" && failed != "" && failed != old.GetString(billing.SetupErrorField):
		payload["setup_failed"] = failed
	default:
		return e.Next()
	}
	return inTransaction(e, func() error {
		if err := e.Next(); err != nil {
			return err
		}
		_, err := workflows.Signal(e.App, PaidKey(rec.Id), payload)
		return err
	})
}

// paymentSettled reads how the payment setup ended; a card Stripe could
// not set up fails the wait, and so the run, which compensates.
func paymentSettled(s *state, ev workflows.Event) error {
	var body struct {
		SetupFailed string `json:"setup_failed"`
	}
	if err := json.Unmarshal(ev.Payload, &body); err != nil {
		return err
	}
	if body.SetupFailed != "" {
		// The mail ends the reason with its own full stop.
		return reason("the card could not be set up: " + strings.TrimSuffix(strings.TrimSpace(body.SetupFailed), "."))
	}
	s.SetupIntent = ""
	return nil
}

// signalVerified tells a run waiting for a parent's e-mail confirmation
// that it came, in the transaction that records it.
func signalVerified(e *core.RecordEvent) error {
	rec := e.Record
	if !rec.Verified() || rec.Original().Verified() || rec.GetString("role") != "parent" {
		return e.Next()
	}
	return inTransaction(e, func() error {
		if err := e.Next(); err != nil {
			return err
		}
		_, err := workflows.Signal(e.App, VerifiedKey(rec.Id), map[string]any{"user": rec.Id})
		return err
	})
}

// inTransaction runs fn with e.App switched to a transaction, so the
// signal commits (or not) with the record's own write.
func inTransaction(e *core.RecordEvent, fn func() error) error {
	original := e.App
	err := original.RunInTransaction(func(tx core.App) error {
		e.App = tx
		return fn()
	})
	e.App = original
	return err
}
