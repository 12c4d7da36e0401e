package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// deliverOne sends one hand-made event and waits for its processing.
func (e *env) deliverOne(eventType string, object stripestub.Obj) string {
	e.t.Helper()
	ev := e.stub.Emit(eventType, object)
	e.stub.Pending()
	if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != 200 {
		e.t.Fatalf("%s: %d %v", eventType, code, err)
	}
	e.svc.Flush()
	return ev["id"].(string)
}

// Checkout: a paid one-off session records the payment once (a later
// payment_intent.succeeded of the same intent adds nothing); a
// subscription session links the subscription to its enrollment and may
// bring the family's customer.
func TestCheckoutSessionCompleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Now().Unix()
	id := e.deliverOne("checkout.session.completed", stripestub.Obj{
		"id": "cs_pay", "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": int64(6500), "currency": "cad", "customer": "cus_checkout", "payment_intent": "pi_checkout",
		"client_reference_id": e.f.ParentB.ID, "metadata": stripestub.Obj{"kind": "lesson_package"}, "created": now,
	})
	if s := e.eventStatus(id); s != billing.EventProcessed {
		t.Fatalf("checkout event %s", s)
	}
	p, err := e.app.FindFirstRecordByData("payments", "stripe_payment_intent_id", "pi_checkout")
	if err != nil || p.GetString("family") != e.f.ParentB.ID || p.GetInt("amount") != 6500 || p.GetString("kind") != "lesson_package" || p.GetString("status") != billing.StatusSucceeded {
		t.Fatalf("payment %v %v", p, err)
	}
	if c, _ := billing.CustomerID(e.app, e.f.ParentB.ID); c != "cus_checkout" {
		t.Errorf("customer %q", c)
	}
	e.deliverOne("payment_intent.succeeded", stripestub.Obj{
		"id": "pi_checkout", "object": "payment_intent", "amount": int64(6500), "amount_received": int64(6500),
		"currency": "cad", "customer": "cus_checkout", "status": "succeeded", "created": now,
	})
	if n := e.count("ledger_entries", dbx.HashExp{"stripe_payment_intent": "pi_checkout"}); n != 2 {
		t.Errorf("%d entries for the checkout payment", n)
	}
	if n := e.count("payments", dbx.HashExp{"stripe_payment_intent_id": "pi_checkout"}); n != 1 {
		t.Errorf("%d payments", n)
	}

	// Unpaid (e.g. a bank debit still processing): nothing yet.
	id = e.deliverOne("checkout.session.completed", stripestub.Obj{
		"id": "cs_unpaid", "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
		"amount_total": int64(100), "currency": "cad", "customer": "cus_checkout", "payment_intent": "pi_later", "created": now,
	})
	if s := e.eventStatus(id); s != billing.EventIgnored {
		t.Errorf("unpaid checkout %s", s)
	}

	// Subscription mode links the enrollment named in the metadata.
	e.deliverOne("checkout.session.completed", stripestub.Obj{
		"id": "cs_sub", "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
		"customer": "cus_checkout", "subscription": "sub_checkout", "created": now,
		"metadata": stripestub.Obj{"enrollment_id": e.f.EnrollmentB1, "family_id": e.f.ParentB.ID},
	})
	enr := e.record("enrollments", e.f.EnrollmentB1)
	if enr.GetString("stripe_subscription_id") != "sub_checkout" || enr.GetString("stripe_customer_id") != "cus_checkout" {
		t.Errorf("enrollment %v", enr.FieldsData())
	}
	// A session for nobody we know is ignored, not failed.
	id = e.deliverOne("checkout.session.completed", stripestub.Obj{"id": "cs_x", "object": "checkout.session", "mode": "payment", "customer": "cus_unknown", "created": now})
	if s := e.eventStatus(id); s != billing.EventIgnored {
		t.Errorf("unknown family %s", s)
	}
}

// 3-D Secure on a renewal: the family is asked to confirm, once per
// attempt, with the invoice's link.
func TestInvoiceActionRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribeA1(0)
	e.deliver()
	customer := e.record("enrollments", e.f.EnrollmentA1).GetString("stripe_customer_id")
	invoice := stripestub.Obj{
		"id": "in_3ds", "object": "invoice", "customer": customer, "amount_due": int64(14000), "amount_paid": int64(0),
		"currency": "cad", "status": "open", "attempt_count": int64(1), "hosted_invoice_url": "https://invoice.stripe.test/in_3ds",
		"created": time.Now().Unix(), "subscription_details": stripestub.Obj{"metadata": stripestub.Obj{"enrollment_id": e.f.EnrollmentA1}},
	}
	first := e.deliverOne("invoice.payment_action_required", invoice)
	e.stub.Advance(2 * time.Second)
	second := e.deliverOne("invoice.payment_action_required", invoice) // another event, the same attempt
	for _, id := range []string{first, second} {
		if s := e.eventStatus(id); s != billing.EventProcessed {
			t.Errorf("event %s %s", id, s)
		}
	}
	notices, err := e.app.FindAllRecords("billing_notices", dbx.HashExp{"kind": billing.NoticeActionRequired})
	if err != nil || len(notices) != 1 || !strings.Contains(notices[0].GetString("body"), "https://invoice.stripe.test/in_3ds") {
		t.Fatalf("notices %v %v", notices, err)
	}
	p, _ := e.app.FindFirstRecordByData("payments", "stripe_invoice_id", "in_3ds")
	if p == nil || p.GetString("status") != billing.StatusRequiresAction {
		t.Fatalf("payment %v", p)
	}
	// The family confirms; the paid invoice settles the same payment.
	invoice["status"], invoice["amount_paid"] = "paid", int64(14000)
	e.stub.Advance(2 * time.Second)
	e.deliverOne("invoice.paid", invoice)
	if got := e.record("payments", p.Id).GetString("status"); got != billing.StatusSucceeded {
		t.Errorf("after confirmation %s", got)
	}
	if n := e.count("payments", dbx.HashExp{"stripe_invoice_id": "in_3ds"}); n != 1 {
		t.Errorf("%d payments for the invoice", n)
	}
}
