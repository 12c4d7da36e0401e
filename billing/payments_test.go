package billing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

func cardPayment(family, key, pm string, amount int64) billing.PaymentRequest {
	return billing.PaymentRequest{
		Family: family, Amount: amount, Kind: "registration", Description: "2026 registration",
		PaymentMethod: pm, IdempotencyKey: key,
	}
}

func TestProcessPaymentSucceedsOnceForAKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := cardPayment(e.f.ParentA.ID, "key-registration-1", "pm_card_visa", 5000)
	first, err := e.svc.ProcessPayment(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	p := first.Payment
	if p.GetString("status") != billing.StatusSucceeded || first.Replayed || first.ClientSecret != "" {
		t.Fatalf("first: %v replayed=%v", p.FieldsData(), first.Replayed)
	}
	if p.GetString("currency") != "cad" || p.GetString("method") != "stripe" || p.GetString("stripe_payment_intent_id") == "" {
		t.Errorf("payment %v", p.FieldsData())
	}
	second, err := e.svc.ProcessPayment(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if second.Payment.Id != p.Id || !second.Replayed {
		t.Errorf("the retry made payment %s (replayed %v), want %s", second.Payment.Id, second.Replayed, p.Id)
	}
	if n := e.stub.Count("payment_intent"); n != 1 {
		t.Errorf("%d PaymentIntents", n)
	}
	// The same key for another amount is a conflict; another family's
	// identical key is its own.
	other := req
	other.Amount = 6000
	if _, err := e.svc.ProcessPayment(e.ctx, other); !errors.Is(err, billing.ErrIdempotencyConflict) {
		t.Errorf("reused key: %v", err)
	}
	if _, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentB.ID, "key-registration-1", "pm_card_visa", 5000)); err != nil {
		t.Errorf("family B with the same key: %v", err)
	}

	// The webhook that follows adds nothing.
	e.deliver()
	if n := e.count("ledger_entries", dbx.HashExp{"payment": p.Id}); n != 2 {
		t.Errorf("%d ledger entries", n)
	}
	if n := e.count("billing_notices", dbx.HashExp{"kind": billing.NoticeReceipt, "family": e.f.ParentA.ID}); n != 1 {
		t.Errorf("%d receipts", n)
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d", b)
	}
}

func TestProcessPaymentDeclineAndThreeDSecure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-declined-0001", "pm_card_chargeDeclined", 5000))
	var decline *billing.DeclineError
	if !errors.As(err, &decline) || decline.Payment.GetString("status") != billing.StatusFailed || decline.Message == "" {
		t.Fatalf("decline: %v", err)
	}
	if n := e.count("ledger_entries", dbx.HashExp{"family": e.f.ParentA.ID}); n != 0 {
		t.Errorf("a declined payment left %d ledger entries", n)
	}

	res, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-3ds-00000001", "pm_card_threeDSecure2Required", 7000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Payment.GetString("status") != billing.StatusRequiresAction || res.ClientSecret == "" {
		t.Fatalf("3-D Secure: %v secret %q", res.Payment.FieldsData(), res.ClientSecret)
	}
	// The family completes the challenge; Stripe's event settles it.
	e.stub.CompleteAction(res.Payment.GetString("stripe_payment_intent_id"))
	e.deliver()
	p := e.record("payments", res.Payment.Id)
	if p.GetString("status") != billing.StatusSucceeded {
		t.Fatalf("after the challenge: %s", p.GetString("status"))
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d", b)
	}
	// Late events of the failed attempt do not undo it.
	e.deliver()
	if e.record("payments", decline.Payment.Id).GetString("status") != billing.StatusFailed {
		t.Error("declined payment changed")
	}
}

// A refund, partial then the rest, through our route and one from the
// dashboard: the ledger balances and matches Stripe.
func TestRefundsBalanceTheLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-refund-00001", "pm_card_visa", 20000))
	if err != nil {
		t.Fatal(err)
	}
	pay := res.Payment.Id
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay, Amount: 5000, Reason: "requested_by_customer"}); err != nil {
		t.Fatal(err)
	}
	p := e.record("payments", pay)
	if p.GetString("status") != billing.StatusPartiallyRefunded || p.GetInt("amount_refunded") != 5000 {
		t.Fatalf("after a partial refund: %s %d", p.GetString("status"), p.GetInt("amount_refunded"))
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d after a partial refund", b)
	}
	// Too much is refused.
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay, Amount: 15001}); err == nil {
		t.Error("refunded more than was left")
	}
	e.deliver() // payment_intent.succeeded, charge.refunded: nothing new
	if n := e.count("ledger_entries", dbx.HashExp{"payment": pay}); n != 4 {
		t.Errorf("%d entries, want charge, payment, refund, credit", n)
	}
	// The rest.
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay}); err != nil {
		t.Fatal(err)
	}
	p = e.record("payments", pay)
	if p.GetString("status") != billing.StatusRefunded || p.GetInt("amount_refunded") != 20000 {
		t.Fatalf("after the full refund: %s %d", p.GetString("status"), p.GetInt("amount_refunded"))
	}
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay}); err == nil {
		t.Error("a refunded payment refunded again")
	}

	// A refund made in the dashboard arrives by webhook only.
	res2, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-refund-00002", "pm_card_visa", 3000))
	if err != nil {
		t.Fatal(err)
	}
	e.deliver()
	e.stub.RefundOutside(res2.Payment.GetString("stripe_payment_intent_id"), 1000)
	report, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(report, "refund_amount", res2.Payment.GetString("stripe_payment_intent_id")) {
		t.Errorf("reconcile missed the unrecorded refund: %+v", report.Mismatches)
	}
	e.deliver()
	p2 := e.record("payments", res2.Payment.Id)
	if p2.GetString("status") != billing.StatusPartiallyRefunded || p2.GetInt("amount_refunded") != 1000 {
		t.Errorf("dashboard refund: %s %d", p2.GetString("status"), p2.GetInt("amount_refunded"))
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d", b)
	}
	report, err = e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range report.Mismatches {
		if m.Family == e.f.ParentA.ID && m.Object != "payment "+e.f.PaymentA {
			t.Errorf("mismatch left: %+v", m)
		}
	}
}

// A refund the bank rejects after we recorded it: the payout is taken back
// (the charge stays cancelled, so the family keeps a credit), the payment
// matches Stripe again, family and admins are told, and a repeat of the
// event changes nothing.
func TestFailedRefundIsTakenBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-refund-fail-1", "pm_card_visa", 20000))
	if err != nil {
		t.Fatal(err)
	}
	pay, pi := res.Payment.Id, res.Payment.GetString("stripe_payment_intent_id")
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay, Amount: 5000}); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	refunds := e.stub.All("refund")
	if len(refunds) != 1 {
		t.Fatalf("%d refunds at the stand-in", len(refunds))
	}
	reID := refunds[0]["id"].(string)

	e.stub.FailRefund(reID, "expired_or_canceled_card")
	e.deliver()

	p := e.record("payments", pay)
	if p.GetString("status") != billing.StatusSucceeded || p.GetInt("amount_refunded") != 0 {
		t.Fatalf("after the failed refund: %s, %d refunded", p.GetString("status"), p.GetInt("amount_refunded"))
	}
	if b := e.balance(e.f.ParentA.ID); b != -5000 {
		t.Errorf("balance %d, want the family's credit of -5000", b)
	}
	if n := e.count("ledger_entries", dbx.HashExp{"payment": pay}); n != 5 {
		t.Errorf("%d entries, want charge, payment, refund, credit, reversal", n)
	}
	if n := e.count("billing_notices", dbx.HashExp{"family": e.f.ParentA.ID, "audience": "family", "source_key": "refund-failed:" + reID}); n != 1 {
		t.Errorf("%d family notices of the failed refund", n)
	}
	if n := e.count("billing_notices", dbx.HashExp{"audience": "admin", "kind": billing.NoticeRefund}); n < 1 {
		t.Errorf("no admin was told")
	}

	// The same event again (Stripe retries): nothing new.
	events := e.stub.Events()
	last := events[len(events)-1]
	if last["type"] != "charge.refund.updated" {
		t.Fatalf("last event %v", last["type"])
	}
	if code, err := e.stub.Deliver(last, stripestub.Delivery{}); err != nil || code != 200 {
		t.Fatalf("repeat: %d %v", code, err)
	}
	if n := e.count("ledger_entries", dbx.HashExp{"payment": pay}); n != 5 {
		t.Errorf("%d entries after a repeat", n)
	}

	report, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range report.Mismatches {
		if strings.Contains(m.Object, pi) || strings.Contains(m.Object, pay) {
			t.Errorf("mismatch left: %+v", m)
		}
	}
}
