package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// setup_intents.go: a subscription's pending SetupIntent. With a trial
// Stripe charges nothing at first, so it starts the subscription trialing
// and, when the card needs the family's authentication (3-D Secure) or
// cannot be set up, leaves a SetupIntent in pending_setup_intent that is
// not succeeded. The enrollment mirrors it (SetupIntentField) while it
// waits; setup_intent.succeeded clears it, setup_intent.setup_failed
// records Stripe's words (SetupErrorField). A SetupIntent names no
// subscription, so the mirrored id is how those events find the enrollment;
// SetupIntents of our own (a family saving a card) match none and are
// ignored.

// Enrollment fields billing mirrors a pending SetupIntent on.
const (
	SetupIntentField = "stripe_setup_intent" // the SetupIntent while it waits for the family
	SetupErrorField  = "stripe_setup_error"  // why Stripe could not set the card up
)

// SetupPending reports whether the enrollment's subscription waits for
// the family to set its card up.
func SetupPending(enrollment *core.Record) bool {
	return enrollment.GetString(SetupIntentField) != ""
}

// mirrorSetupIntent records sub's pending SetupIntent on the enrollment.
// Our own calls expand it; an event carries only its id, whose status it
// does not tell, so an id alone changes nothing. None at all means nothing
// waits (the order check made sure sub is the newest state).
func mirrorSetupIntent(enrollment *core.Record, sub *stripe.Subscription) {
	si := sub.PendingSetupIntent
	switch {
	case si == nil || si.ID == "":
		enrollment.Set(SetupIntentField, "")
	case si.Status == "":
	case si.Status == stripe.SetupIntentStatusSucceeded:
		enrollment.Set(SetupIntentField, "")
	default:
		// requires_action, requires_payment_method, processing… and
		// canceled, which will never succeed: the hold's timer ends it.
		enrollment.Set(SetupIntentField, si.ID)
	}
}

func fetchSetupIntent(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.SetupIntentParams{}
	params.Context = ctx
	si, err := s.sc.SetupIntents.Get(id, params)
	if err != nil {
		return nil, err
	}
	return si.LastResponse.RawJSON, nil
}

// enrollmentOfSetupIntent is the enrollment whose subscription's pending
// SetupIntent is id; an event about any other SetupIntent is ignored.
func enrollmentOfSetupIntent(txApp core.App, raw json.RawMessage) (*stripe.SetupIntent, *core.Record, error) {
	var si stripe.SetupIntent
	if err := json.Unmarshal(raw, &si); err != nil {
		return nil, nil, err
	}
	if si.ID == "" {
		return nil, nil, ignored("the setup intent has no id")
	}
	enrollment, err := txApp.FindFirstRecordByData("enrollments", SetupIntentField, si.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ignored("no enrollment waits for setup intent " + si.ID)
	}
	return &si, enrollment, err
}

// applySetupIntentSucceeded: the family set the card up; a pending
// enrollment whose subscription is in good standing becomes active (which
// ends the enrollment run's wait).
func applySetupIntentSucceeded(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	si, enrollment, err := enrollmentOfSetupIntent(txApp, raw)
	if err != nil {
		return "", err
	}
	if si.Status != stripe.SetupIntentStatusSucceeded {
		return "", ignored("setup intent " + si.ID + " is " + string(si.Status) + " now")
	}
	enrollment.Set(SetupIntentField, "")
	enrollment.Set(SetupErrorField, "")
	current, next := enrollment.GetString("status"), enrollment.GetString("status")
	switch enrollment.GetString("stripe_status") {
	case string(stripe.SubscriptionStatusActive), string(stripe.SubscriptionStatusTrialing):
		if current == "pending" {
			next = "active"
		}
	}
	enrollment.Set("status", next)
	if err := txApp.Save(enrollment); err != nil {
		return "", err
	}
	return fmt.Sprintf("setup intent %s succeeded: enrollment %s %s", si.ID, current, arrow(current, next)), nil
}

// applySetupIntentFailed: Stripe could not set the card up (the family
// failed the authentication, or the bank refused). Its words are recorded;
// the enrollment run, which waits on the enrollment, fails and compensates.
func applySetupIntentFailed(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	si, enrollment, err := enrollmentOfSetupIntent(txApp, raw)
	if err != nil {
		return "", err
	}
	if si.Status == stripe.SetupIntentStatusSucceeded {
		return "", ignored("setup intent " + si.ID + " succeeded since")
	}
	why := "the card could not be set up"
	if si.LastSetupError != nil && si.LastSetupError.Msg != "" {
		why = truncate(si.LastSetupError.Msg, 500)
	}
	enrollment.Set(SetupErrorField, why)
	if err := txApp.Save(enrollment); err != nil {
		return "", err
	}
	return fmt.Sprintf("setup intent %s failed (%s): enrollment %s", si.ID, why, enrollment.GetString("status")), nil
}
