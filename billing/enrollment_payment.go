package billing

import (
	"context"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// enrollment_payment.go: what a pending enrollment's payment needs from the
// family. While the enrollment run holds the trial slot (payment_wait), the
// family's browser finishes 3-D Secure with Stripe.js —
// confirmCardSetup(client_secret) for a trial's pending SetupIntent,
// confirmCardPayment(client_secret) for an incomplete subscription's first
// invoice — and Stripe's webhook then ends the wait.
//
// The client secret is read from Stripe at each request and never stored:
// it lets whoever holds it confirm the intent, so a copy in the database
// (and in its backups, exports and the admin UI) would be one more place to
// leak it from; and Stripe's status is the fresh one, while a copy would
// lag behind the webhook.

// Payment kinds and the status of an enrollment with nothing to pay.
const (
	KindSetupIntent   = "setup_intent"
	KindPaymentIntent = "payment_intent"
	PaymentNone       = "none"
)

// PaymentNeed is a pending enrollment's payment as the family's browser
// needs it. ClientSecret is set only while the family can act on it
// (requires_action, requires_payment_method, requires_confirmation).
type PaymentNeed struct {
	Status         string `json:"status"`
	Kind           string `json:"kind,omitempty"`
	ClientSecret   string `json:"client_secret,omitempty"`
	PublishableKey string `json:"publishable_key,omitempty"`
	// Error is Stripe's words about the last failed attempt, if any.
	Error string `json:"error,omitempty"`
}

// NothingToPay is the answer for an enrollment whose payment waits for
// nothing.
var NothingToPay = PaymentNeed{Status: PaymentNone}

// PaymentWaits reports whether the enrollment's payment waits for the
// family at Stripe: a trial's pending SetupIntent, or a subscription still
// incomplete. Nothing else needs a Stripe call.
func PaymentWaits(enrollment *core.Record) bool {
	return SetupPending(enrollment) ||
		(enrollment.GetString("stripe_subscription_id") != "" && enrollment.GetString("stripe_status") == string(stripe.SubscriptionStatusIncomplete))
}

// EnrollmentPayment asks Stripe what the enrollment's payment needs: the
// pending SetupIntent's, or the incomplete subscription's latest invoice's
// PaymentIntent's status and client secret. ErrOffline when billing is
// offline and there is something to ask.
func (s *Service) EnrollmentPayment(ctx context.Context, enrollment *core.Record) (PaymentNeed, error) {
	if !PaymentWaits(enrollment) {
		return NothingToPay, nil
	}
	sc, err := s.stripe()
	if err != nil {
		return PaymentNeed{}, err
	}
	if id := enrollment.GetString(SetupIntentField); id != "" {
		params := &stripe.SetupIntentParams{}
		params.Context = ctx
		si, err := sc.SetupIntents.Get(id, params)
		if err != nil {
			return PaymentNeed{}, fmt.Errorf("read SetupIntent: %w", err)
		}
		need := s.need(KindSetupIntent, string(si.Status), si.ClientSecret)
		if si.LastSetupError != nil {
			need.Error = si.LastSetupError.Msg
		}
		return need, nil
	}
	params := &stripe.SubscriptionParams{}
	params.AddExpand("latest_invoice.payment_intent")
	params.Context = ctx
	sub, err := sc.Subscriptions.Get(enrollment.GetString("stripe_subscription_id"), params)
	if err != nil {
		return PaymentNeed{}, fmt.Errorf("read subscription: %w", err)
	}
	if sub.Status != stripe.SubscriptionStatusIncomplete || sub.LatestInvoice == nil || sub.LatestInvoice.PaymentIntent == nil {
		// Paid since (the webhook is on its way), or nothing to confirm.
		return NothingToPay, nil
	}
	pi := sub.LatestInvoice.PaymentIntent
	if pi.Status == "" { // not expanded: ask for it
		get := &stripe.PaymentIntentParams{}
		get.Context = ctx
		if pi, err = sc.PaymentIntents.Get(pi.ID, get); err != nil {
			return PaymentNeed{}, fmt.Errorf("read PaymentIntent: %w", err)
		}
	}
	need := s.need(KindPaymentIntent, string(pi.Status), pi.ClientSecret)
	if pi.LastPaymentError != nil {
		need.Error = pi.LastPaymentError.Msg
	}
	return need, nil
}

// need keeps the secret only while the family can act on the intent.
func (s *Service) need(kind, status, secret string) PaymentNeed {
	n := PaymentNeed{Status: status, Kind: kind}
	switch status {
	case "requires_action", "requires_payment_method", "requires_confirmation":
		n.ClientSecret = secret
		n.PublishableKey = s.cfg.PublishableKey
	}
	return n
}
