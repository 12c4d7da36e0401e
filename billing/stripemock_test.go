package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
)

// Every Stripe call billing makes, against stripe-mock: it validates each
// request against Stripe's OpenAPI spec and answers 400 to a parameter the
// API does not know or a value it does not accept. It keeps no state, so
// this checks the requests, not the outcomes (the stand-in tests do that).
func TestEveryStripeCallIsAValidRequest(t *testing.T) {
	t.Parallel()
	base := stripestub.StartStripeMock(t)
	app, f := newApp(t)
	svc := billing.Use(app, billing.Config{SecretKey: "sk_test_123", WebhookSecret: webhookSecret, APIBase: base})
	ctx := context.Background()

	// A rejected request comes back as a *stripe.Error with the offending
	// parameter; anything else (e.g. a state stripe-mock cannot hold) is
	// not what this test is about.
	valid := func(name string, err error) {
		t.Helper()
		var se *stripe.Error
		if errors.As(err, &se) && se.HTTPStatusCode == 400 {
			t.Errorf("%s: stripe-mock rejected the request: %s (param %q)", name, se.Msg, se.Param)
		} else if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	customer, err := svc.EnsureCustomer(ctx, f.ParentA.ID)
	valid("create customer", err)
	if customer == "" {
		t.Fatal("no customer id")
	}
	user := testapp.Record(t, app, "users", f.ParentA.ID)
	user.SetEmail("alice.mock@cedarheights.test")
	valid("save user", app.Save(user))
	valid("update customer", svc.SyncCustomer(ctx, f.ParentA.ID))

	prices, err := svc.SyncPrices(ctx)
	valid("sync prices (product, price list, price create)", err)
	if len(prices) == 0 || prices[0].PriceID == "" {
		t.Fatalf("prices %+v", prices)
	}
	_, err = svc.SyncPrices(ctx) // retrieve path
	valid("sync prices again", err)

	// Subscriptions: a monthly plan, then a school year (add_invoice_items,
	// cancel_at), each with a trial.
	enr := testapp.Record(t, app, "enrollments", f.EnrollmentA1)
	enr.Set("stripe_subscription_id", "")
	valid("clear fixture subscription", app.Save(enr))
	_, err = svc.Subscribe(ctx, f.EnrollmentA1, billing.SubscribeOptions{TrialDays: 14})
	valid("create subscription", err)
	plan := testapp.Record(t, app, "pricing_plans", f.PlanPublic)
	plan.Set("interval", "school_year")
	valid("plan", app.Save(plan))
	_, err = svc.Subscribe(ctx, f.EnrollmentB1, billing.SubscribeOptions{})
	valid("create school-year subscription", err)
	_, err = svc.ChangePlan(ctx, f.EnrollmentA1, f.PlanHidden)
	valid("change plan", err)
	_, err = svc.Pause(ctx, f.EnrollmentA1)
	valid("pause", err)
	_, err = svc.Resume(ctx, f.EnrollmentA1)
	valid("resume", err)
	_, err = svc.Withdraw(ctx, f.EnrollmentA1)
	valid("withdraw", err)

	_, err = svc.SetupIntent(ctx, f.ParentA.ID)
	valid("setup intent", err)
	_, err = svc.PortalSession(ctx, f.ParentA.ID, "https://academy.test/account")
	valid("portal session", err)

	for _, c := range []struct{ key, returnURL string }{{"mock-payment-0001", ""}, {"mock-payment-0002", "https://academy.test/paid"}} {
		req := cardPayment(f.ParentA.ID, c.key, "pm_card_visa", 5000)
		req.ReturnURL = c.returnURL
		_, err = svc.ProcessPayment(ctx, req)
		var decline *billing.DeclineError
		if !errors.As(err, &decline) { // stripe-mock's intents stay requires_payment_method
			valid("payment intent", err)
		}
	}
	paid, err := billing.RecordPayment(app, billing.OfflinePayment{Family: f.ParentA.ID, Amount: 5000, Kind: "other", Method: "cash"})
	valid("record", err)
	paid.Set("method", "stripe")
	paid.Set("stripe_payment_intent_id", "pi_123")
	valid("save", app.Save(paid))
	_, err = svc.Refund(ctx, billing.RefundRequest{Payment: paid.Id, Amount: 1000, Reason: "requested_by_customer"})
	valid("refund", err)

	_, err = svc.Preview(ctx, f.ParentA.ID)
	valid("upcoming invoice", err)
	_, err = svc.Reconcile(ctx, time.Time{})
	valid("reconcile (charges, invoices)", err)
	_, err = svc.Reconcile(ctx, time.Now().Add(-time.Hour))
	valid("reconcile since", err)
	// An expired refund hold: resync lists the payment's refunds.
	holds, err := app.FindCollectionByNameOrId("refund_holds")
	valid("refund holds", err)
	hold := core.NewRecord(holds)
	hold.Load(map[string]any{"payment": paid.Id, "amount": 100, "status": billing.HoldPending, "expires_at": time.Now().Add(-time.Minute).UTC()})
	valid("save hold", app.Save(hold))
	rep, err := svc.Resync(ctx, time.Time{})
	valid("resync (events, subscriptions, refund holds)", err)
	if rep.RefundHolds != 1 {
		t.Errorf("resync resolved %d refund holds", rep.RefundHolds)
	}
	for _, msg := range rep.Errors {
		t.Errorf("resync: %s", msg)
	}

	// The re-fetches and the refund listing of event processing.
	for _, typ := range []string{"invoice.paid", "customer.subscription.updated", "payment_intent.succeeded", "charge.refunded", "charge.refund.updated", "charge.dispute.created",
		"setup_intent.succeeded"} {
		valid("refetch "+typ, billing.CheckFetch(ctx, svc, typ))
	}
}
