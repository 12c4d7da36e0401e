package billing_test

import (
	"testing"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// A trial subscription of a card that needs 3-D Secure starts trialing with
// a pending SetupIntent: the enrollment mirrors it, stays pending while it
// waits (an active one stays active), and the setup_intent.* events that
// come through the webhook end it. Events about other SetupIntents (a
// family saving a card) change nothing.
func TestPendingSetupIntentMirrored(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     string                         // the enrollment's before it subscribes
		finish     func(e *env, seti string) bool // what the family does, nil: nothing
		wantStatus string
		waiting    bool   // the SetupIntent is still mirrored
		wantError  string // SetupErrorField
	}{
		{name: "authenticated", status: "pending", finish: func(e *env, seti string) bool { return e.stub.ConfirmSetup(seti) },
			wantStatus: "active"},
		{name: "authentication failed", status: "pending", finish: func(e *env, seti string) bool { return e.stub.FailSetup(seti) },
			wantStatus: "pending", waiting: true, wantError: "We are unable to authenticate your payment method. Please choose a different payment method and try again."},
		{name: "not yet", status: "pending", wantStatus: "pending", waiting: true},
		{name: "an active enrollment stays active", status: "active", wantStatus: "active", waiting: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			enr := e.record("enrollments", e.f.EnrollmentA1)
			enr.Set("status", c.status)
			if err := e.app.Save(enr); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.AttachPaymentMethod(e.ctx, e.f.ParentA.ID, "pm_card_threeDSecure2Required"); err != nil {
				t.Fatal(err)
			}
			sub := e.subscribeA1(14)
			seti := e.stub.SetupIntentOf(sub)
			enr = e.record("enrollments", e.f.EnrollmentA1)
			if seti == "" || enr.GetString(billing.SetupIntentField) != seti || enr.GetString("status") != c.status ||
				enr.GetString("stripe_status") != "trialing" {
				t.Fatalf("after subscribing: %s, Stripe %s, setup intent %q (Stripe's %q)", enr.GetString("status"),
					enr.GetString("stripe_status"), enr.GetString(billing.SetupIntentField), seti)
			}
			// Stripe's events so far carry the SetupIntent's id only, and
			// one about another SetupIntent matches no enrollment.
			other := e.stub.Emit("setup_intent.succeeded", stripestub.Obj{"id": "seti_other", "object": "setup_intent", "status": "succeeded"})
			e.deliver()
			if st := e.eventStatus(other["id"].(string)); st != billing.EventIgnored {
				t.Errorf("another SetupIntent's event: %s", st)
			}
			enr = e.record("enrollments", e.f.EnrollmentA1)
			if enr.GetString(billing.SetupIntentField) != seti || enr.GetString("status") != c.status {
				t.Fatalf("after the first events: %s, setup intent %q", enr.GetString("status"), enr.GetString(billing.SetupIntentField))
			}

			if c.finish != nil && !c.finish(e, seti) {
				t.Fatal("the SetupIntent was not waiting")
			}
			e.deliver()
			enr = e.record("enrollments", e.f.EnrollmentA1)
			if enr.GetString("status") != c.wantStatus || billing.SetupPending(enr) != c.waiting || enr.GetString(billing.SetupErrorField) != c.wantError {
				t.Errorf("%s, setup intent %q, error %q", enr.GetString("status"), enr.GetString(billing.SetupIntentField), enr.GetString(billing.SetupErrorField))
			}
		})
	}
}
