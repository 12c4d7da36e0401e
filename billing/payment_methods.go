package billing

import (
	"context"
	"fmt"

	"github.com/stripe/stripe-go/v76"
)

// Payment methods are collected by Stripe, never by us: a SetupIntent's
// client secret lets Stripe Elements in a frontend save a card for future
// tuition, and the Billing Portal lets the parent change it, see invoices
// and download receipts.

// SetupIntent returns the client secret of a new SetupIntent for the
// family's customer.
func (s *Service) SetupIntent(ctx context.Context, family string) (string, error) {
	sc, err := s.stripe()
	if err != nil {
		return "", err
	}
	customer, err := s.EnsureCustomer(ctx, family)
	if err != nil {
		return "", err
	}
	params := &stripe.SetupIntentParams{
		Customer: stripe.String(customer),
		Usage:    stripe.String("off_session"),
		Metadata: map[string]string{MetaFamily: family},
	}
	params.AutomaticPaymentMethods = &stripe.SetupIntentAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)}
	params.Context = ctx
	si, err := sc.SetupIntents.New(params)
	if err != nil {
		return "", fmt.Errorf("create SetupIntent: %w", err)
	}
	return si.ClientSecret, nil
}

// PortalSession opens a Billing Portal session for the family and returns
// its URL; the parent comes back to returnURL.
func (s *Service) PortalSession(ctx context.Context, family, returnURL string) (string, error) {
	sc, err := s.stripe()
	if err != nil {
		return "", err
	}
	customer, err := s.EnsureCustomer(ctx, family)
	if err != nil {
		return "", err
	}
	params := &stripe.BillingPortalSessionParams{Customer: stripe.String(customer)}
	if returnURL != "" {
		params.ReturnURL = stripe.String(returnURL)
	}
	params.Context = ctx
	session, err := sc.BillingPortalSessions.New(params)
	if err != nil {
		return "", fmt.Errorf("create Billing Portal session: %w", err)
	}
	return session.URL, nil
}
