package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// event_handlers.go: the Stripe event types billing acts on, each with how
// its object is re-fetched and applied, and the lookups the handlers share.
// The handlers are in event_invoices.go, event_payment_intents.go,
// event_refunds.go, event_checkout.go, disputes.go and setup_intents.go.

// The event types we act on. Every other type is stored and ignored.
// HandledEventTypes is the list to subscribe the Stripe webhook endpoint to.
var handlers = map[stripe.EventType]handler{
	"invoice.paid":                    {ordered: true, fetch: fetchInvoice, apply: applyInvoicePaid},
	"invoice.payment_failed":          {ordered: true, fetch: fetchInvoice, apply: applyInvoiceFailed},
	"invoice.payment_action_required": {ordered: true, fetch: fetchInvoice, apply: applyInvoiceActionRequired},
	"customer.subscription.created":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"customer.subscription.updated":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"customer.subscription.deleted":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"payment_intent.succeeded":        {ordered: true, fetch: fetchPaymentIntent, apply: applyPaymentIntentSucceeded},
	"payment_intent.payment_failed":   {ordered: true, fetch: fetchPaymentIntent, apply: applyPaymentIntentFailed},
	"charge.refunded":                 {prepare: listChargeRefunds, apply: applyChargeRefunded},
	"charge.refund.updated":           {prepare: fetchRefund, apply: applyRefundUpdated},
	"charge.dispute.created":          {prepare: fetchDispute, apply: applyDispute},
	"charge.dispute.updated":          {prepare: fetchDispute, apply: applyDispute},
	"charge.dispute.closed":           {prepare: fetchDispute, apply: applyDispute},
	"checkout.session.completed":      {apply: applyCheckoutCompleted},
	"setup_intent.succeeded":          {ordered: true, fetch: fetchSetupIntent, apply: applySetupIntentSucceeded},
	"setup_intent.setup_failed":       {ordered: true, fetch: fetchSetupIntent, apply: applySetupIntentFailed},
}

// HandledEventTypes are the event types billing acts on, sorted.
func HandledEventTypes() []string {
	return []string{
		"charge.dispute.closed",
		"charge.dispute.created",
		"charge.dispute.updated",
		"charge.refund.updated",
		"charge.refunded",
		"checkout.session.completed",
		"customer.subscription.created",
		"customer.subscription.deleted",
		"customer.subscription.updated",
		"invoice.paid",
		"invoice.payment_action_required",
		"invoice.payment_failed",
		"payment_intent.payment_failed",
		"payment_intent.succeeded",
		"setup_intent.setup_failed",
		"setup_intent.succeeded",
	}
}

// -------------------------------------------------------------------
// Re-fetching objects (order ties)

func fetchInvoice(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.InvoiceParams{}
	params.Context = ctx
	inv, err := s.sc.Invoices.Get(id, params)
	if err != nil {
		return nil, err
	}
	return inv.LastResponse.RawJSON, nil
}

func fetchSubscription(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.SubscriptionParams{}
	params.AddExpand("pending_setup_intent") // its status decides whether it still waits
	params.Context = ctx
	sub, err := s.sc.Subscriptions.Get(id, params)
	if err != nil {
		return nil, err
	}
	return sub.LastResponse.RawJSON, nil
}

func fetchPaymentIntent(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := s.sc.PaymentIntents.Get(id, params)
	if err != nil {
		return nil, err
	}
	return pi.LastResponse.RawJSON, nil
}

// -------------------------------------------------------------------
// Lookups

// familyFor resolves the family of a Stripe object: our customer map
// first, then the metadata we put on the object.
func familyFor(app core.App, customer *stripe.Customer, metadata ...map[string]string) (string, error) {
	if customer != nil {
		if f, err := FamilyOfCustomer(app, customer.ID); err != nil || f != "" {
			return f, err
		}
	}
	for _, m := range metadata {
		if id := m[MetaFamily]; id != "" {
			if _, err := loadFamily(app, id); err == nil {
				return id, nil
			}
		}
	}
	return "", nil
}

// enrollmentFor finds the enrollment of a subscription: by our metadata,
// then by the stored subscription id. nil when none.
func enrollmentFor(app core.App, subscriptionID string, metadata map[string]string) (*core.Record, error) {
	if id := metadata[MetaEnrollment]; id != "" {
		r, err := app.FindRecordById("enrollments", id)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if subscriptionID == "" {
		return nil, nil
	}
	r, err := app.FindFirstRecordByData("enrollments", "stripe_subscription_id", subscriptionID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// recordedPayment is the payment we recorded for a PaymentIntent; an event
// about an object (what) whose PaymentIntent we never recorded is ignored.
// (paymentOfIntent also records one; refunds and disputes never should.)
func recordedPayment(app core.App, pi *stripe.PaymentIntent, what string) (*core.Record, error) {
	id := ""
	if pi != nil {
		id = pi.ID
	}
	payment, err := findPayment(app, "stripe_payment_intent_id", id)
	if err == nil && payment == nil {
		return nil, ignored("no payment for " + what)
	}
	return payment, err
}

func findPayment(app core.App, field, value string) (*core.Record, error) {
	if value == "" {
		return nil, nil
	}
	r, err := app.FindFirstRecordByData(paymentsCollection, field, value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func newPayment(app core.App, fields map[string]any) (*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(paymentsCollection)
	if err != nil {
		return nil, err
	}
	p := core.NewRecord(c)
	p.Load(fields)
	if err := app.Save(p); err != nil {
		return nil, err
	}
	return p, nil
}

// -------------------------------------------------------------------
// Subscriptions

func applySubscriptionEvent(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var sub stripe.Subscription
	if err := json.Unmarshal(raw, &sub); err != nil {
		return "", err
	}
	return applySubscription(txApp, &sub, nil)
}
