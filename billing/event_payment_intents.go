package billing

import (
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// event_payment_intents.go: the PaymentIntent events of one-off payments
// (succeeded, failed).

func applyPaymentIntentSucceeded(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(raw, &pi); err != nil {
		return "", err
	}
	if pi.Invoice != nil && pi.Invoice.ID != "" {
		return "", ignored("an invoice's payment: recorded by invoice.paid")
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return "", ignored("the payment intent is " + string(pi.Status) + " now")
	}
	payment, err := paymentOfIntent(txApp, &pi)
	if err != nil {
		return "", err
	}
	payment.Set("stripe_payment_intent_id", pi.ID)
	if err := settle(txApp, payment, piSettlement(&pi)); err != nil {
		return "", err
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}
	return "payment " + payment.Id + " succeeded", nil
}

// paymentOfIntent finds the payment a PaymentIntent pays, or records one
// for an intent made elsewhere (a Payment Link, the dashboard) when its
// family is known.
func paymentOfIntent(txApp core.App, pi *stripe.PaymentIntent) (*core.Record, error) {
	if p, err := findPayment(txApp, "stripe_payment_intent_id", pi.ID); err != nil || p != nil {
		return p, err
	}
	if id := pi.Metadata[MetaPayment]; id != "" {
		p, err := txApp.FindRecordById(paymentsCollection, id)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	family, err := familyFor(txApp, pi.Customer, pi.Metadata)
	if err != nil {
		return nil, err
	}
	if family == "" {
		return nil, ignored("no family for payment intent " + pi.ID)
	}
	kind := pi.Metadata["kind"]
	if !validKind(kind) {
		kind = "other"
	}
	amount := pi.AmountReceived
	if amount == 0 {
		amount = pi.Amount
	}
	return newPayment(txApp, map[string]any{
		"family": family, "amount": amount, "currency": string(pi.Currency), "status": StatusPending,
		"kind": kind, "method": "stripe", "description": pi.Description, "stripe_payment_intent_id": pi.ID,
	})
}

func validKind(kind string) bool {
	for _, k := range PaymentKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func applyPaymentIntentFailed(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(raw, &pi); err != nil {
		return "", err
	}
	if pi.Invoice != nil && pi.Invoice.ID != "" {
		return "", ignored("an invoice's payment: handled by invoice.payment_failed")
	}
	payment, err := findPayment(txApp, "stripe_payment_intent_id", pi.ID)
	if err != nil {
		return "", err
	}
	if payment == nil {
		return "", ignored("no payment for payment intent " + pi.ID)
	}
	setStatus(payment, StatusFailed)
	if pi.LastPaymentError != nil {
		payment.Set("failure_message", truncate(pi.LastPaymentError.Msg, 500))
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}
	return "payment " + payment.Id + " is " + payment.GetString("status"), nil
}
