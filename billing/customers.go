package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// One Stripe customer per family (the parent's users record). Creation is
// idempotent twice over: the request carries an idempotency key derived
// from the family id, so a rerun within Stripe's 24-hour key window gets
// the same customer back, and before creating we search for a customer
// whose metadata names the family, which covers a rerun after the window.
// Either way a crash between Stripe's answer and our save cannot leave the
// family with two customers.

const customersCollection = "billing_customers"

// MetaFamily, MetaEnrollment and MetaPayment are the metadata keys our
// Stripe objects carry, so that an event can be traced back without our
// database (and re-synced from Stripe alone).
const (
	MetaFamily     = "family_id"
	MetaEnrollment = "enrollment_id"
	MetaPayment    = "payment_id"
	MetaPlan       = "plan_id"
)

// CustomerIdempotencyKey is the key of the create-customer request of a
// family.
func CustomerIdempotencyKey(family string) string { return "cedarheights-customer-" + family }

// errNotAFamily answers a family id that is not a parent's account.
var errNotAFamily = validation.Errors{"family": validation.NewError("validation_not_family", "Must be the id of a parent account.")}

// loadFamily returns the parent's users record.
func loadFamily(app core.App, family string) (*core.Record, error) {
	r, err := app.FindRecordById("users", family)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotAFamily
	}
	if err != nil {
		return nil, err
	}
	if r.GetString("role") != "parent" {
		return nil, errNotAFamily
	}
	return r, nil
}

// CustomerID returns the family's Stripe customer id, "" when it has none.
func CustomerID(app core.App, family string) (string, error) {
	r, err := app.FindFirstRecordByData(customersCollection, "family", family)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return r.GetString("stripe_customer_id"), nil
}

// FamilyOfCustomer maps a Stripe customer id back to the family, "" when
// unknown.
func FamilyOfCustomer(app core.App, customerID string) (string, error) {
	if customerID == "" {
		return "", nil
	}
	r, err := app.FindFirstRecordByData(customersCollection, "stripe_customer_id", customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return r.GetString("family"), nil
}

// EnsureCustomer returns the family's Stripe customer, creating it once.
func (s *Service) EnsureCustomer(ctx context.Context, family string) (string, error) {
	if id, err := CustomerID(s.app, family); err != nil || id != "" {
		return id, err
	}
	user, err := loadFamily(s.app, family)
	if err != nil {
		return "", err
	}
	sc, err := s.stripe()
	if err != nil {
		return "", err
	}

	id, err := s.findCustomerByFamily(ctx, family)
	if err != nil {
		return "", err
	}
	if id == "" {
		params := &stripe.CustomerParams{
			Email:    stripe.String(user.Email()),
			Name:     stripe.String(user.GetString("name")),
			Metadata: map[string]string{MetaFamily: family},
		}
		params.Context = ctx
		params.SetIdempotencyKey(CustomerIdempotencyKey(family))
		c, err := sc.Customers.New(params)
		if err != nil {
			return "", fmt.Errorf("create Stripe customer: %w", err)
		}
		id = c.ID
	}

	if err := s.saveCustomer(family, id, user.Email()); err != nil {
		// A concurrent call may have saved the same customer first.
		if existing, _ := CustomerID(s.app, family); existing != "" {
			return existing, nil
		}
		return "", err
	}
	return id, nil
}

// findCustomerByFamily searches Stripe for a customer created for family
// by an earlier run. Search can lag new customers by a minute; the
// idempotency key covers that window.
func (s *Service) findCustomerByFamily(ctx context.Context, family string) (string, error) {
	params := &stripe.CustomerSearchParams{}
	params.Context = ctx
	params.Query = fmt.Sprintf("metadata['%s']:'%s'", MetaFamily, family)
	params.Single = true
	iter := s.sc.Customers.Search(params)
	for iter.Next() {
		c := iter.Customer()
		if c.Metadata[MetaFamily] == family && !c.Deleted {
			return c.ID, nil
		}
	}
	if err := iter.Err(); err != nil {
		return "", fmt.Errorf("search Stripe customers: %w", err)
	}
	return "", nil
}

func (s *Service) saveCustomer(family, customerID, email string) error {
	c, err := s.app.FindCachedCollectionByNameOrId(customersCollection)
	if err != nil {
		return err
	}
	r := core.NewRecord(c)
	r.Set("family", family)
	r.Set("stripe_customer_id", customerID)
	r.Set("email", email)
	r.Set("email_synced", true)
	return s.app.Save(r)
}

// bindCustomerSync keeps a family's Stripe email in step with its account.
// It runs after the change is committed; a failure is logged and left for
// `billing resync` (email_synced = false), never undoing the user's change.
func bindCustomerSync(app core.App) {
	app.OnRecordAfterUpdateSuccess("users").BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		if original.Email() != e.Record.Email() || original.GetString("name") != e.Record.GetString("name") {
			if err := From(e.App).SyncCustomer(context.Background(), e.Record.Id); err != nil {
				e.App.Logger().Warn("billing: customer email not synced", "family", e.Record.Id, "error", err)
			}
		}
		return e.Next()
	})
}

// SyncCustomer sends the family's current email and name to its Stripe
// customer, if it has one.
func (s *Service) SyncCustomer(ctx context.Context, family string) error {
	r, err := s.app.FindFirstRecordByData(customersCollection, "family", family)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	user, err := s.app.FindRecordById("users", family)
	if err != nil {
		return err
	}
	sync := func(synced bool) error {
		r.Set("email_synced", synced)
		if synced {
			r.Set("email", user.Email())
		}
		return s.app.Save(r)
	}
	sc, err := s.stripe()
	if err != nil {
		return errors.Join(err, sync(false))
	}
	params := &stripe.CustomerParams{Email: stripe.String(user.Email()), Name: stripe.String(user.GetString("name"))}
	params.Context = ctx
	if _, err := sc.Customers.Update(r.GetString("stripe_customer_id"), params); err != nil {
		return errors.Join(fmt.Errorf("update Stripe customer: %w", err), sync(false))
	}
	return sync(true)
}
