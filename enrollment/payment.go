package enrollment

import (
	"errors"
	"math"
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

// signalPaid tells a run waiting for the payment setup that the
// subscription became active (Stripe's webhook mirrored it), in the
// transaction that records it.
func signalPaid(e *core.RecordEvent) error {
	rec := e.Record
	// Only Stripe's mirror (stripe_status changing) completes a pending
	// setup; the run's own record node activating it signals nothing.
	became := rec.GetString("status") == "active" && rec.Original().GetString("status") == "pending" &&
		rec.GetString("stripe_status") != rec.Original().GetString("stripe_status")
	if !became || rec.GetString("run") == "" {
		return e.Next()
	}
	return inTransaction(e, func() error {
		if err := e.Next(); err != nil {
			return err
		}
		_, err := workflows.Signal(e.App, PaidKey(rec.Id), map[string]any{"enrollment": rec.Id})
		return err
	})
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
