package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// enrollment_setup.go: the two calls the enrollment workflow needs beside
// Subscribe: attach the card the family gave (Stripe checks it on attach
// and refuses a declining card) and cancel a subscription at once when an
// enrollment fails or an admin cancels it.

// DeclinedError is a card Stripe refused; Message is Stripe's words.
type DeclinedError struct {
	Code    string
	Message string
}

func (e *DeclinedError) Error() string { return "the card was declined: " + e.Message }

// AttachPaymentMethod attaches pm to the family's customer and makes it
// the default for its invoices. A declined card is a *DeclinedError.
// Attaching twice is harmless (the key is the family's and pm's).
func (s *Service) AttachPaymentMethod(ctx context.Context, family, pm string) error {
	sc, err := s.stripe()
	if err != nil {
		return err
	}
	customer, err := s.EnsureCustomer(ctx, family)
	if err != nil {
		return err
	}
	params := &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)}
	params.Context = ctx
	params.SetIdempotencyKey("cedarheights-attach-" + family + "-" + pm)
	if _, err := sc.PaymentMethods.Attach(pm, params); err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
			return &DeclinedError{Code: string(se.DeclineCode), Message: se.Msg}
		}
		return fmt.Errorf("attach payment method: %w", err)
	}
	update := &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm)}}
	update.Context = ctx
	if _, err := sc.Customers.Update(customer, update); err != nil {
		return fmt.Errorf("set default payment method: %w", err)
	}
	return nil
}

// CancelSubscription ends the enrollment's subscription now (not at the
// period's end, as Withdraw does) and mirrors it; an enrollment without a
// live subscription is left as it is.
func (s *Service) CancelSubscription(ctx context.Context, enrollmentID string) (*core.Record, error) {
	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	enrollment, _, _, err := loadEnrollment(s.app, enrollmentID)
	if err != nil {
		return nil, err
	}
	subID := enrollment.GetString("stripe_subscription_id")
	switch enrollment.GetString("stripe_status") {
	case "canceled", "incomplete_expired":
		return enrollment, nil
	}
	if subID == "" {
		return enrollment, nil
	}
	params := &stripe.SubscriptionCancelParams{}
	params.Context = ctx
	sub, err := sc.Subscriptions.Cancel(subID, params)
	if err != nil {
		return nil, fmt.Errorf("cancel Stripe subscription: %w", err)
	}
	return s.mirror(ctx, enrollment.Id, sub, nil)
}
