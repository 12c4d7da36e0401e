package billing_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// A dispute takes the money back (the family owes it again), the admins
// are told what to do by when, and winning it settles the account again;
// replays in any order change nothing; a lost dispute leaves the family
// owing and reconcile clean; an inquiry moves no money.
func TestDisputesMoveTheLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	family := e.f.ParentA.ID
	pay := func(key string, amount int64) (string, string) {
		res, err := e.svc.ProcessPayment(e.ctx, cardPayment(family, key, "pm_card_visa", amount))
		if err != nil {
			t.Fatal(err)
		}
		e.deliver()
		return res.Payment.Id, res.Payment.GetString("stripe_payment_intent_id")
	}
	status := func(payment string) string { return e.record("payments", payment).GetString("status") }
	entries := func(payment string) int { return e.count("ledger_entries", dbx.HashExp{"payment": payment}) }
	told := func(disputeID, st string) int {
		return e.count("billing_notices", dbx.And(dbx.HashExp{"audience": "admin", "kind": billing.NoticeDispute},
			dbx.NewExp("substr(source_key, 1, {:n}) = {:p}", dbx.Params{"p": "dispute:" + disputeID + ":" + st + ":", "n": len("dispute:" + disputeID + ":" + st + ":")})))
	}

	// Won.
	won, wonPI := pay("key-dispute-won-1", 20000)
	dp := e.stub.Dispute(wonPI, "fraudulent", false)
	e.deliver()
	if status(won) != billing.StatusDisputed || entries(won) != 3 || e.balance(family) != 20000 {
		t.Fatalf("disputed: %s, %d entries, balance %d", status(won), entries(won), e.balance(family))
	}
	if told(dp, "needs_response") != 1 {
		t.Fatalf("admins told %d times of the new dispute", told(dp, "needs_response"))
	}
	notice, err := e.app.FindFirstRecordByFilter("billing_notices", "source_key ~ {:k}", dbx.Params{"k": "dispute:" + dp + ":needs_response"})
	if err != nil || !strings.Contains(notice.GetString("body"), "Submit evidence") || !strings.Contains(notice.GetString("body"), "by ") {
		t.Fatalf("dispute notice %v: %v", notice, err)
	}
	e.stub.SetDisputeStatus(dp, "under_review")
	e.deliver()
	if status(won) != billing.StatusDisputed || told(dp, "under_review") != 1 {
		t.Errorf("under review: %s, told %d", status(won), told(dp, "under_review"))
	}
	e.stub.SetDisputeStatus(dp, "won")
	e.deliver()
	if status(won) != billing.StatusSucceeded || entries(won) != 4 || e.balance(family) != 0 {
		t.Fatalf("won: %s, %d entries, balance %d", status(won), entries(won), e.balance(family))
	}
	// Every dispute event again, newest first: the state stands.
	events := e.stub.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if strings.HasPrefix(events[i]["type"].(string), "charge.dispute.") {
			if code, err := e.stub.Deliver(events[i], stripestub.Delivery{}); err != nil || code != 200 {
				t.Fatalf("replay: %d %v", code, err)
			}
		}
	}
	if status(won) != billing.StatusSucceeded || entries(won) != 4 || e.balance(family) != 0 || told(dp, "needs_response") != 1 {
		t.Fatalf("after replays: %s, %d entries, balance %d", status(won), entries(won), e.balance(family))
	}

	// Lost: the family owes it, and the ledger still matches Stripe.
	lost, lostPI := pay("key-dispute-lost-1", 7000)
	dp2 := e.stub.Dispute(lostPI, "product_not_received", false)
	e.stub.SetDisputeStatus(dp2, "lost")
	e.deliver()
	if status(lost) != billing.StatusDisputed || e.balance(family) != 7000 || told(dp2, "lost") != 1 {
		t.Fatalf("lost: %s, balance %d, told %d", status(lost), e.balance(family), told(dp2, "lost"))
	}
	// A later payment_intent.succeeded (a resync, a re-sent event) does
	// not undo it.
	e.stub.Emit("payment_intent.succeeded", e.stub.Get(lostPI))
	e.deliver()
	if status(lost) != billing.StatusDisputed {
		t.Errorf("after a new payment_intent.succeeded: %s", status(lost))
	}
	report, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range report.Mismatches {
		if strings.Contains(m.Object, lostPI) || strings.Contains(m.Object, lost) || strings.Contains(m.Object, wonPI) {
			t.Errorf("mismatch: %+v", m)
		}
	}

	// An inquiry: the admins hear of it, no money moves.
	asked, askedPI := pay("key-dispute-inquiry-1", 3000)
	dp3 := e.stub.Dispute(askedPI, "general", true)
	e.deliver()
	e.stub.SetDisputeStatus(dp3, "warning_closed")
	e.deliver()
	if status(asked) != billing.StatusSucceeded || entries(asked) != 2 || e.balance(family) != 7000 {
		t.Errorf("inquiry: %s, %d entries, balance %d", status(asked), entries(asked), e.balance(family))
	}
	if told(dp3, "warning_needs_response") != 1 || told(dp3, "warning_closed") != 1 {
		t.Errorf("inquiry notices: %d, %d", told(dp3, "warning_needs_response"), told(dp3, "warning_closed"))
	}
}

// A refund recorded after the dispute (made before the bank's dispute
// arrived, its charge.refunded webhook processed after) keeps the payment
// disputed: otherwise it reads partially_refunded, and the office can refund
// again money the bank already took back. Found by the simulation
// (tests/sim, SIM_SEED=12).
func TestRefundAfterDisputeKeepsItDisputed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, "key-dispute-then-refund", "pm_card_visa", 8000))
	if err != nil {
		t.Fatal(err)
	}
	e.deliver()
	pay, pi := res.Payment.Id, res.Payment.GetString("stripe_payment_intent_id")
	e.stub.Dispute(pi, "fraudulent", false)
	e.deliver()
	e.stub.RefundOutside(pi, 1000)
	e.deliver()
	p := e.record("payments", pay)
	if p.GetString("status") != billing.StatusDisputed || p.GetInt("amount_refunded") != 1000 {
		t.Fatalf("after the late refund: %s, %d refunded", p.GetString("status"), p.GetInt("amount_refunded"))
	}
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: pay, Amount: 500}); err == nil {
		t.Fatalf("a disputed payment was refunded again: %d refunded", e.record("payments", pay).GetInt("amount_refunded"))
	}
}
