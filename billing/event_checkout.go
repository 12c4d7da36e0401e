package billing

import (
	"encoding/json"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// event_checkout.go: a completed Checkout session links the subscription
// it made to its enrollment.

func applyCheckoutCompleted(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(raw, &cs); err != nil {
		return "", err
	}
	meta := map[string]string{}
	for k, v := range cs.Metadata {
		meta[k] = v
	}
	if meta[MetaFamily] == "" && cs.ClientReferenceID != "" {
		meta[MetaFamily] = cs.ClientReferenceID
	}
	family, err := familyFor(txApp, cs.Customer, meta)
	if err != nil {
		return "", err
	}
	if family == "" {
		return "", ignored("no family for checkout session " + cs.ID)
	}
	// A checkout may have created the family's customer.
	if cs.Customer != nil && cs.Customer.ID != "" {
		if existing, err := CustomerID(txApp, family); err != nil {
			return "", err
		} else if existing == "" {
			c, err := txApp.FindCachedCollectionByNameOrId(customersCollection)
			if err != nil {
				return "", err
			}
			r := core.NewRecord(c)
			r.Set("family", family)
			r.Set("stripe_customer_id", cs.Customer.ID)
			if err := txApp.Save(r); err != nil {
				return "", err
			}
		}
	}

	switch cs.Mode {
	case stripe.CheckoutSessionModePayment:
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || cs.PaymentIntent == nil {
			return "", ignored("checkout not paid yet (" + string(cs.PaymentStatus) + ")")
		}
		pi := stripe.PaymentIntent{
			ID: cs.PaymentIntent.ID, Amount: cs.AmountTotal, AmountReceived: cs.AmountTotal, Currency: cs.Currency,
			Customer: cs.Customer, Metadata: meta, Created: cs.Created, Status: stripe.PaymentIntentStatusSucceeded,
		}
		payment, err := paymentOfIntent(txApp, &pi)
		if err != nil {
			return "", err
		}
		payment.Set("stripe_payment_intent_id", pi.ID)
		if err := settle(txApp, payment, piSettlement(&pi)); err != nil {
			return "", err
		}
		return "checkout payment recorded", txApp.Save(payment)
	case stripe.CheckoutSessionModeSubscription:
		if cs.Subscription == nil {
			return "", ignored("subscription checkout without a subscription")
		}
		enrollment, err := enrollmentFor(txApp, cs.Subscription.ID, meta)
		if err != nil {
			return "", err
		}
		if enrollment == nil {
			return "", ignored("no enrollment for checkout session " + cs.ID)
		}
		enrollment.Set("stripe_subscription_id", cs.Subscription.ID)
		if cs.Customer != nil {
			enrollment.Set("stripe_customer_id", cs.Customer.ID)
		}
		return "subscription linked to enrollment " + enrollment.Id, txApp.Save(enrollment)
	}
	return "", ignored("checkout mode " + string(cs.Mode) + " needs nothing")
}
