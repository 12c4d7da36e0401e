package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/stripe/stripe-go/v76"
)

// Tuition subscriptions, one per enrollment. Our calls and Stripe's events
// both end in applySubscription, which mirrors the subscription on the
// enrollment:
//
//	Stripe status                     enrollment status
//	active, trialing                  active (paused while pause_collection is set;
//	                                  withdrawn stays withdrawn until the period ends)
//	past_due                          unchanged: Stripe is retrying; dunning
//	                                  (invoice.payment_failed) decides
//	unpaid                            past_due
//	paused                            paused
//	incomplete                        pending
//	canceled, incomplete_expired      cancelled (withdrawn stays withdrawn)
//
// A pending enrollment whose subscription is active or trialing stays
// pending while its pending_setup_intent waits for the family
// (setup_intents.go).

// SchoolYearInstallments is how many monthly invoices a school-year plan
// makes after its first: the first invoice charges the first and the last
// month, then nine monthly installments follow.
const SchoolYearInstallments = 9

// SubscribeOptions tune a new subscription.
type SubscribeOptions struct {
	TrialDays int
}

var errNoSubscription = validation.Errors{"enrollment": validation.NewError("validation_no_subscription", "The enrollment has no Stripe subscription.")}

// Subscribe creates the enrollment's subscription (once: the request's
// idempotency key is the enrollment's) and mirrors it.
func (s *Service) Subscribe(ctx context.Context, enrollmentID string, opts SubscribeOptions) (*core.Record, error) {
	if opts.TrialDays < 0 || opts.TrialDays > 730 {
		return nil, validation.Errors{"trial_days": validation.NewError("validation_trial_days", "Must be between 0 and 730.")}
	}
	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	enrollment, plan, family, err := loadEnrollment(s.app, enrollmentID)
	if err != nil {
		return nil, err
	}
	// One live subscription per enrollment; an ended one may be replaced
	// (the key then names it, so the new request is not Stripe's replay
	// of the old one).
	previous := enrollment.GetString("stripe_subscription_id")
	switch enrollment.GetString("stripe_status") {
	case "canceled", "incomplete_expired":
	default:
		if previous != "" {
			return nil, validation.Errors{"enrollment": validation.NewError("validation_subscribed", "The enrollment already has a subscription.")}
		}
	}
	price := plan.GetString("stripe_price_id")
	if price == "" {
		return nil, validation.Errors{"plan": validation.NewError("validation_plan_not_synced", "The plan has no Stripe price yet: run `billing sync-prices`.")}
	}
	customer, err := s.EnsureCustomer(ctx, family)
	if err != nil {
		return nil, err
	}

	params := &stripe.SubscriptionParams{
		Customer:        stripe.String(customer),
		Items:           []*stripe.SubscriptionItemsParams{{Price: stripe.String(price)}},
		Metadata:        map[string]string{MetaEnrollment: enrollment.Id, MetaFamily: family, MetaPlan: plan.Id},
		PaymentBehavior: stripe.String("allow_incomplete"),
	}
	start := time.Now()
	if opts.TrialDays > 0 {
		params.TrialPeriodDays = stripe.Int64(int64(opts.TrialDays))
		start = start.AddDate(0, 0, opts.TrialDays)
	}
	if plan.GetString("interval") == "school_year" {
		// First and last month up front, then nine installments: the
		// subscription bills ten months and ends.
		params.AddInvoiceItems = []*stripe.SubscriptionAddInvoiceItemParams{{
			PriceData: &stripe.InvoiceItemPriceDataParams{
				Currency:   stripe.String(plan.GetString("currency")),
				Product:    stripe.String(productID(plan.Id)),
				UnitAmount: stripe.Int64(int64(plan.GetInt("amount"))),
			},
		}}
		params.CancelAt = stripe.Int64(start.AddDate(0, SchoolYearInstallments+1, 0).Unix())
	}
	// With a trial Stripe charges nothing now: a card that needs the
	// family's authentication shows in pending_setup_intent, whose status
	// only the expanded object tells.
	params.AddExpand("pending_setup_intent")
	params.Context = ctx
	key := "cedarheights-subscribe-" + enrollment.Id
	if previous != "" {
		key += "-after-" + previous
	}
	params.SetIdempotencyKey(key)
	sub, err := sc.Subscriptions.New(params)
	if err != nil {
		return nil, fmt.Errorf("create Stripe subscription: %w", err)
	}
	return s.mirror(ctx, enrollment.Id, sub, nil)
}

// ChangePlan moves the subscription to plan's price, prorated; the old
// price stays on Stripe for other subscriptions.
func (s *Service) ChangePlan(ctx context.Context, enrollmentID, planID string) (*core.Record, error) {
	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	enrollment, _, _, err := loadEnrollment(s.app, enrollmentID)
	if err != nil {
		return nil, err
	}
	subID := enrollment.GetString("stripe_subscription_id")
	if subID == "" {
		return nil, errNoSubscription
	}
	plan, err := s.app.FindRecordById("pricing_plans", planID)
	if err != nil {
		return nil, validation.Errors{"plan": validation.NewError("validation_unknown_plan", "Must be a pricing plan id.")}
	}
	price := plan.GetString("stripe_price_id")
	if price == "" {
		return nil, validation.Errors{"plan": validation.NewError("validation_plan_not_synced", "The plan has no Stripe price yet: run `billing sync-prices`.")}
	}
	get := &stripe.SubscriptionParams{}
	get.Context = ctx
	current, err := sc.Subscriptions.Get(subID, get)
	if err != nil {
		return nil, fmt.Errorf("retrieve Stripe subscription: %w", err)
	}
	if current.Items == nil || len(current.Items.Data) == 0 {
		return nil, fmt.Errorf("subscription %s has no item", subID)
	}
	params := &stripe.SubscriptionParams{
		Items:             []*stripe.SubscriptionItemsParams{{ID: stripe.String(current.Items.Data[0].ID), Price: stripe.String(price)}},
		ProrationBehavior: stripe.String("create_prorations"),
		Metadata:          map[string]string{MetaPlan: plan.Id},
	}
	params.Context = ctx
	params.SetIdempotencyKey("cedarheights-plan-" + enrollment.Id + "-" + plan.Id + "-" + current.Items.Data[0].ID)
	sub, err := sc.Subscriptions.Update(subID, params)
	if err != nil {
		return nil, fmt.Errorf("change Stripe subscription: %w", err)
	}
	return s.mirror(ctx, enrollment.Id, sub, map[string]any{"plan": plan.Id})
}

// Pause stops invoicing for a break (Stripe voids the invoices it would
// have sent); Resume starts it again.
func (s *Service) Pause(ctx context.Context, enrollmentID string) (*core.Record, error) {
	return s.updateSubscription(ctx, enrollmentID, "pause", func(p *stripe.SubscriptionParams) {
		p.PauseCollection = &stripe.SubscriptionPauseCollectionParams{Behavior: stripe.String("void")}
	}, "")
}

// Resume ends a pause and takes back a withdrawal that has not yet taken
// effect.
func (s *Service) Resume(ctx context.Context, enrollmentID string) (*core.Record, error) {
	return s.updateSubscription(ctx, enrollmentID, "resume", func(p *stripe.SubscriptionParams) {
		p.AddExtra("pause_collection", "")
		p.CancelAtPeriodEnd = stripe.Bool(false)
	}, "active")
}

// Withdraw cancels at the end of the paid period; the enrollment is
// withdrawn now.
func (s *Service) Withdraw(ctx context.Context, enrollmentID string) (*core.Record, error) {
	return s.updateSubscription(ctx, enrollmentID, "withdraw", func(p *stripe.SubscriptionParams) {
		p.CancelAtPeriodEnd = stripe.Bool(true)
	}, "withdrawn")
}

func (s *Service) updateSubscription(ctx context.Context, enrollmentID, action string, set func(*stripe.SubscriptionParams), status string) (*core.Record, error) {
	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	enrollment, _, _, err := loadEnrollment(s.app, enrollmentID)
	if err != nil {
		return nil, err
	}
	subID := enrollment.GetString("stripe_subscription_id")
	if subID == "" {
		return nil, errNoSubscription
	}
	params := &stripe.SubscriptionParams{}
	set(params)
	params.Context = ctx
	sub, err := sc.Subscriptions.Update(subID, params)
	if err != nil {
		return nil, fmt.Errorf("%s Stripe subscription: %w", action, err)
	}
	var fields map[string]any
	if status != "" {
		fields = map[string]any{"status": status}
	}
	return s.mirror(ctx, enrollment.Id, sub, fields)
}

// mirror applies a subscription Stripe just returned for the enrollment,
// after setting the fields in set (the plan or status the caller changed).
// Its version is stamped "fetch", so an event older than it re-fetches
// rather than trusting our clock against Stripe's.
func (s *Service) mirror(ctx context.Context, enrollmentID string, sub *stripe.Subscription, set map[string]any) (*core.Record, error) {
	var out *core.Record
	err := s.tx(ctx, func(txApp core.App) error {
		r, err := txApp.FindRecordById("enrollments", enrollmentID)
		if err != nil {
			return err
		}
		r.Load(set)
		if _, err := applySubscription(txApp, sub, r); err != nil {
			return err
		}
		out = r
		return saveVersion(txApp, sub.ID, "subscription", time.Now().Unix(), "fetch:api")
	})
	return out, err
}

// applySubscription mirrors sub on its enrollment (see the table above):
// the one given, else the one its metadata or id names.
func applySubscription(txApp core.App, sub *stripe.Subscription, enrollment *core.Record) (string, error) {
	if enrollment == nil {
		found, err := enrollmentFor(txApp, sub.ID, sub.Metadata)
		if err != nil {
			return "", err
		}
		if found == nil {
			return "", ignored("no enrollment for subscription " + sub.ID)
		}
		enrollment = found
	}
	enrollment.Set("stripe_subscription_id", sub.ID)
	if sub.Customer != nil && sub.Customer.ID != "" {
		enrollment.Set("stripe_customer_id", sub.Customer.ID)
	}
	enrollment.Set("stripe_status", string(sub.Status))
	enrollment.Set("cancel_at_period_end", sub.CancelAtPeriodEnd)
	if sub.CurrentPeriodEnd > 0 {
		end, _ := types.ParseDateTime(time.Unix(sub.CurrentPeriodEnd, 0).UTC())
		enrollment.Set("current_period_end", end)
	}
	mirrorSetupIntent(enrollment, sub)
	current := enrollment.GetString("status")
	next := mirroredStatus(current, sub)
	if current == "pending" && next == "active" && SetupPending(enrollment) {
		next = "pending"
	}
	enrollment.Set("status", next)
	if err := txApp.Save(enrollment); err != nil {
		return "", err
	}
	return fmt.Sprintf("subscription %s is %s: enrollment %s %s", sub.ID, sub.Status, current, arrow(current, next)), nil
}

func mirroredStatus(current string, sub *stripe.Subscription) string {
	switch sub.Status {
	case stripe.SubscriptionStatusActive, stripe.SubscriptionStatusTrialing:
		if sub.PauseCollection != nil && sub.PauseCollection.Behavior != "" {
			return "paused"
		}
		if current == "withdrawn" && sub.CancelAtPeriodEnd {
			return "withdrawn"
		}
		return "active"
	case stripe.SubscriptionStatusPastDue:
		return current
	case stripe.SubscriptionStatusUnpaid:
		return "past_due"
	case stripe.SubscriptionStatusPaused:
		return "paused"
	case stripe.SubscriptionStatusIncomplete:
		return "pending"
	case stripe.SubscriptionStatusCanceled, stripe.SubscriptionStatusIncompleteExpired:
		if current == "withdrawn" {
			return "withdrawn"
		}
		return "cancelled"
	}
	return current
}

func arrow(from, to string) string {
	if from == to {
		return "stays " + to
	}
	return "→ " + to
}

// loadEnrollment returns the enrollment, its plan and its family.
func loadEnrollment(app core.App, id string) (enrollment, plan *core.Record, family string, err error) {
	enrollment, err = app.FindRecordById("enrollments", id)
	if err != nil {
		return nil, nil, "", validation.Errors{"enrollment": validation.NewError("validation_unknown_enrollment", "Must be an enrollment id.")}
	}
	plan, err = app.FindRecordById("pricing_plans", enrollment.GetString("plan"))
	if err != nil {
		return nil, nil, "", fmt.Errorf("plan of enrollment %s: %w", id, err)
	}
	student, err := app.FindRecordById("students", enrollment.GetString("student"))
	if err != nil {
		return nil, nil, "", fmt.Errorf("student of enrollment %s: %w", id, err)
	}
	family = student.GetString("parent")
	if family == "" {
		return nil, nil, "", errors.New("enrollment " + id + " has no family")
	}
	return enrollment, plan, family, nil
}
