package billing_test

import (
	"testing"
	"time"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

var zeroTime time.Time

func hasMismatch(r billing.ReconcileReport, check, object string) bool {
	for _, m := range r.Mismatches {
		if m.Check == check && m.Object == object {
			return true
		}
	}
	return false
}

// Every kind of disagreement is listed, and none when all agree.
func TestReconcileListsEveryMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The fixture's payments predate billing: they have no ledger entries.
	report, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(report, "payment_in_ledger", "payment "+e.f.PaymentA) || !hasMismatch(report, "payment_in_ledger", "payment "+e.f.PaymentB) {
		t.Fatalf("fixture payment without entries not listed: %+v", report.Mismatches)
	}

	// A tuition invoice paid but its webhook missed.
	e.subscribeA1(0)
	e.stub.Pending() // lost
	report, err = e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	inv := e.stub.All("invoice")[0]
	pi := inv["payment_intent"].(string)
	if !hasMismatch(report, "charge_in_ledger", pi) || !hasMismatch(report, "invoice_charge", inv["id"].(string)) {
		t.Fatalf("missed invoice not listed: %+v", report.Mismatches)
	}

	// Resync fetches the missed events; afterwards only the fixture's
	// payments are off.
	rep, err := e.svc.Resync(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if rep.EventsStored == 0 || rep.EventsFailed != 0 {
		t.Fatalf("resync %+v", rep)
	}
	report, err = e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range report.Mismatches {
		if m.Object != "payment "+e.f.PaymentA && m.Object != "payment "+e.f.PaymentB {
			t.Errorf("left after resync: %+v", m)
		}
	}
	if report.Charges != 1 || report.Invoices != 1 {
		t.Errorf("compared %d charges, %d invoices", report.Charges, report.Invoices)
	}

	// A card payment in the ledger that Stripe never charged (a forged or
	// test-mode event, say).
	ghost := e.stub.Emit("payment_intent.succeeded", map[string]any{
		"id": "pi_ghost", "object": "payment_intent", "amount": int64(2500), "amount_received": int64(2500),
		"currency": "cad", "status": "succeeded", "created": time.Now().Unix(),
		"metadata": map[string]any{"family_id": e.f.ParentB.ID, "kind": "materials"},
	})
	e.stub.Pending()
	if code, err := e.stub.Deliver(ghost, stripestub.Delivery{}); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	e.svc.Flush()
	report, err = e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(report, "payment_in_stripe", "pi_ghost") {
		t.Errorf("ledger-only payment not listed: %+v", report.Mismatches)
	}
	// A partial pass (since now) cannot tell and does not claim it.
	report, err = e.svc.Reconcile(e.ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if hasMismatch(report, "payment_in_stripe", "pi_ghost") {
		t.Error("a partial pass flagged a payment it did not look for")
	}
}
