package sim

import (
	"fmt"
)

// verify_stripe.go: the server's view of Stripe against the stand-in's
// own state, after every webhook was delivered (some twice, some out of
// order, some across a kill).

func (s *Sim) checkStripe() error {
	ens, err := s.c.records(s.super, "enrollments", "stripe_subscription_id != ''")
	if err != nil {
		return err
	}
	for _, e := range ens {
		subID := fmt.Sprint(e["stripe_subscription_id"])
		sub := s.e.stub.Get(subID)
		if sub == nil {
			s.problem("enrollment %v: subscription %s unknown to Stripe", e["id"], subID)
			continue
		}
		if got, want := fmt.Sprint(e["stripe_status"]), fmt.Sprint(sub["status"]); got != want {
			s.problem("enrollment %v: subscription %s is %s at Stripe, %s on the server", e["id"], subID, want, got)
		}
		if got, want := e["cancel_at_period_end"] == true, sub["cancel_at_period_end"] == true; got != want {
			s.problem("enrollment %v: cancel_at_period_end %v at Stripe, %v on the server", e["id"], want, got)
		}
	}
	// Every paid invoice is one payment of its amount on the server; every
	// invoice payment on the server is a paid invoice.
	pays, err := s.c.records(s.super, "payments", "stripe_invoice_id != ''")
	if err != nil {
		return err
	}
	byInvoice := map[string][]map[string]any{}
	for _, p := range pays {
		id := fmt.Sprint(p["stripe_invoice_id"])
		byInvoice[id] = append(byInvoice[id], p)
	}
	paid := map[string]bool{}
	for _, inv := range s.e.stub.All("invoice") {
		if inv["status"] != "paid" {
			continue
		}
		id := fmt.Sprint(inv["id"])
		paid[id] = true
		got := byInvoice[id]
		if len(got) != 1 {
			s.problem("paid invoice %s: %d payments on the server", id, len(got))
			continue
		}
		if amount, _ := inv["amount_paid"].(int64); int64(num(got[0]["amount"])) != amount {
			s.problem("paid invoice %s of %d: payment %v of %v", id, amount, got[0]["id"], got[0]["amount"])
		}
	}
	for id, ps := range byInvoice {
		for _, p := range ps {
			st := fmt.Sprint(p["status"])
			if !paid[id] && (st == "succeeded" || st == "partially_refunded" || st == "refunded") {
				s.problem("payment %v is %s for invoice %s, which Stripe has not been paid", p["id"], st, id)
			}
		}
	}
	// Every card payment the driver made is one succeeded charge.
	for _, p := range s.m.payments {
		pi := s.e.stub.Get(p.intent)
		if pi == nil || pi["status"] != "succeeded" {
			s.problem("payment %s: intent %s at Stripe: %v", p.id, p.intent, pi["status"])
			continue
		}
		if amount, _ := pi["amount"].(int64); amount != p.amount {
			s.problem("payment %s of %d: Stripe charged %d", p.id, p.amount, amount)
		}
	}
	return nil
}
