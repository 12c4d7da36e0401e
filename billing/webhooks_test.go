package billing_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// An event delivered five times (here all at once) makes one payment, one
// pair of ledger entries, one receipt and one stored event.
func TestWebhookDeliveredFiveTimesMakesOnePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribeA1(0)
	paid := eventsOf(e.stub.Pending(), "invoice.paid")
	if len(paid) != 1 {
		t.Fatalf("want one invoice.paid, got %d", len(paid))
	}
	ev := paid[0]
	invoice := ev["data"].(stripestub.Obj)["object"].(stripestub.Obj)["id"].(string)

	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code, err := e.stub.Deliver(ev, stripestub.Delivery{})
			if err != nil {
				t.Error(err)
			}
			codes[i] = code
		}(i)
	}
	wg.Wait()
	e.svc.Flush()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("delivery %d answered %d", i, c)
		}
	}

	if n := e.count("stripe_events", dbx.HashExp{"event_id": ev["id"]}); n != 1 {
		t.Errorf("stored %d times", n)
	}
	if s := e.eventStatus(ev["id"].(string)); s != billing.EventProcessed {
		t.Errorf("event status %q", s)
	}
	if n := e.count("payments", dbx.HashExp{"stripe_invoice_id": invoice}); n != 1 {
		t.Fatalf("%d payments for the invoice", n)
	}
	p, _ := e.app.FindFirstRecordByData("payments", "stripe_invoice_id", invoice)
	if p.GetString("status") != billing.StatusSucceeded || p.GetInt("amount") != 14000 || p.GetString("family") != e.f.ParentA.ID {
		t.Errorf("payment %v", p.FieldsData())
	}
	if n := e.count("ledger_entries", dbx.HashExp{"payment": p.Id}); n != 2 {
		t.Errorf("%d ledger entries, want charge and payment", n)
	}
	if n := e.count("billing_notices", dbx.HashExp{"kind": billing.NoticeReceipt, "payment": p.Id}); n != 1 {
		t.Errorf("%d receipts", n)
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d after a paid invoice", b)
	}
}

// Subscription deleted delivered before the older updated: the older one
// is ignored and the enrollment ends cancelled.
func TestWebhooksOutOfOrderKeepTheNewestState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.subscribeA1(0)
	e.deliver()

	e.stub.Advance(10 * time.Second)
	if _, err := e.svc.Pause(e.ctx, e.f.EnrollmentA1); err != nil { // → customer.subscription.updated
		t.Fatal(err)
	}
	e.stub.Advance(10 * time.Second)
	e.stub.Cancel(sub) // → customer.subscription.deleted
	pending := e.stub.Pending()
	updated := eventsOf(pending, "customer.subscription.updated")
	deleted := eventsOf(pending, "customer.subscription.deleted")
	if len(updated) != 1 || len(deleted) != 1 {
		t.Fatalf("events: %d updated, %d deleted", len(updated), len(deleted))
	}
	for _, ev := range []stripestub.Obj{deleted[0], updated[0]} {
		if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != 200 {
			t.Fatalf("deliver %s: %d %v", ev["type"], code, err)
		}
		e.svc.Flush()
	}

	enr := e.record("enrollments", e.f.EnrollmentA1)
	if enr.GetString("status") != "cancelled" || enr.GetString("stripe_status") != "canceled" {
		t.Errorf("enrollment %s / %s, want cancelled / canceled", enr.GetString("status"), enr.GetString("stripe_status"))
	}
	if s := e.eventStatus(updated[0]["id"].(string)); s != billing.EventIgnored {
		t.Errorf("the older updated event is %q, want ignored", s)
	}
	if s := e.eventStatus(deleted[0]["id"].(string)); s != billing.EventProcessed {
		t.Errorf("deleted event %q", s)
	}
}

// Two events of one object in the same second cannot be ordered by
// `created`: the later delivery re-fetches the object and applies Stripe's
// current state.
func TestWebhooksSameSecondRefetch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deleted, updated := e.pauseThenCancelA1(t)
	if deleted["created"] != updated["created"] {
		t.Skip("the stand-in's clock crossed a second; the tie is not reproduced")
	}
	calls := e.stub.Calls("GET /v1/subscriptions/{id}")
	for _, ev := range []stripestub.Obj{deleted, updated} {
		if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != 200 {
			t.Fatal(code, err)
		}
		e.svc.Flush()
	}
	if got := e.stub.Calls("GET /v1/subscriptions/{id}"); got != calls+1 {
		t.Errorf("re-fetched %d times, want 1", got-calls)
	}
	if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "cancelled" {
		t.Errorf("enrollment %s, want cancelled", s)
	}
}

// Two events of one subscription in the same second, on two workers: the
// updated event's order is decided (newer than what is applied: its
// payload) before the deleted one is applied, and commits after it. Its
// transaction sees the version moved and must not put back the paused
// subscription over the cancelled one; its retry re-fetches. (The year's
// simulation once ended with a subscription active at Stripe and trialing
// on the server.)
func TestWebhooksSameSecondOnTwoWorkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deleted, updated := e.pauseThenCancelA1(t)
	updated["created"] = deleted["created"] // one second on Stripe's clock
	payload, err := json.Marshal(updated)
	if err != nil {
		t.Fatal(err)
	}
	err = billing.ProcessInterleaved(e.ctx, e.svc, payload, func() {
		if code, err := e.stub.Deliver(deleted, stripestub.Delivery{}); err != nil || code != 200 {
			t.Fatalf("deliver deleted: %d %v", code, err)
		}
		// Not Flush: it waits for the updated event too.
		waitFor(t, "the deleted event processed", func() bool { return e.eventStatus(deleted["id"].(string)) == billing.EventProcessed })
		if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "cancelled" {
			t.Fatalf("after the deleted event: enrollment %s", s)
		}
	})
	if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "cancelled" {
		t.Fatalf("the updated event committed after the deleted one left the enrollment %s (err %v), want cancelled", s, err)
	}
	if err == nil {
		t.Fatalf("the updated event was applied: %s", e.eventStatus(updated["id"].(string)))
	}
	// Its retry decides again: a tie, so Stripe's state.
	if err := e.svc.Process(e.ctx, updated["id"].(string)); err != nil {
		t.Fatal(err)
	}
	enr := e.record("enrollments", e.f.EnrollmentA1)
	if enr.GetString("status") != "cancelled" || enr.GetString("stripe_status") != "canceled" {
		t.Errorf("after the retry: %s / %s, want cancelled / canceled", enr.GetString("status"), enr.GetString("stripe_status"))
	}
}

// A forged, stale, future, missing or unparsable signature is 400 and stores
// nothing; no configured secret refuses every delivery.
func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ev := e.stub.Emit("customer.created", stripestub.Obj{"id": "cus_x", "object": "customer"})
	before := e.count("stripe_events", nil)

	cases := []struct {
		name string
		d    stripestub.Delivery
	}{
		{"forged: another secret", stripestub.Delivery{Secret: "whsec_forged"}},
		{"stale: signed 301 s ago", stripestub.Delivery{Timestamp: time.Now().Add(-301 * time.Second)}},
		// Seconds are truncated when signing: 301 s ahead could land just
		// inside the tolerance by the time it is checked.
		{"future: signed 310 s ahead", stripestub.Delivery{Timestamp: time.Now().Add(310 * time.Second)}},
		{"no signature", stripestub.Delivery{Header: " "}},
		{"garbage signature", stripestub.Delivery{Header: "t=1,v1=abc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, err := e.stub.Deliver(ev, c.d)
			if err != nil || code != http.StatusBadRequest {
				t.Fatalf("answered %d %v, want 400", code, err)
			}
		})
	}
	// A body changed after signing.
	payload, header := e.stub.Sign(ev, stripestub.Delivery{})
	tampered := bytes.Replace(payload, []byte("cus_x"), []byte("cus_y"), 1)
	req, _ := http.NewRequest(http.MethodPost, e.stub.WebhookURL, bytes.NewReader(tampered))
	req.Header.Set("Stripe-Signature", header)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("tampered body answered %v %v", res, err)
	}
	res.Body.Close()
	// An event of another API version is refused too.
	old := e.stub.Emit("customer.created", stripestub.Obj{"id": "cus_z", "object": "customer"})
	old["api_version"] = "2020-08-27"
	if code, _ := e.stub.Deliver(old, stripestub.Delivery{}); code != http.StatusBadRequest {
		t.Errorf("old API version answered %d", code)
	}
	if after := e.count("stripe_events", nil); after != before {
		t.Fatalf("%d events stored by refused deliveries", after-before)
	}

	// Within the tolerance it is accepted.
	if code, _ := e.stub.Deliver(ev, stripestub.Delivery{Timestamp: time.Now().Add(-290 * time.Second)}); code != http.StatusOK {
		t.Fatalf("a 290 s old signature answered %d", code)
	}
	ahead := e.stub.Emit("customer.created", stripestub.Obj{"id": "cus_ahead", "object": "customer"})
	if code, _ := e.stub.Deliver(ahead, stripestub.Delivery{Timestamp: time.Now().Add(290 * time.Second)}); code != http.StatusOK {
		t.Fatalf("a signature 290 s ahead answered %d", code)
	}
	e.svc.Flush()
	// An unknown type is stored and ignored.
	if s := e.eventStatus(ev["id"].(string)); s != billing.EventIgnored {
		t.Errorf("unknown type stored as %q", s)
	}

	// No secret: refused, nothing stored.
	billing.Use(e.app, billing.Config{SecretKey: "sk_test_stub", APIBase: e.stub.URL})
	fresh := e.stub.Emit("invoice.paid", stripestub.Obj{"id": "in_x", "object": "invoice"})
	if code, _ := e.stub.Deliver(fresh, stripestub.Delivery{}); code != http.StatusServiceUnavailable {
		t.Errorf("with no secret answered %d, want 503", code)
	}
	if n := e.count("stripe_events", dbx.HashExp{"event_id": fresh["id"]}); n != 0 {
		t.Errorf("stored with no secret")
	}
}

// pauseThenCancelA1 subscribes A1, pauses it and cancels it at Stripe, and
// returns the two events Stripe then has pending for it, undelivered.
func (e *env) pauseThenCancelA1(t *testing.T) (deleted, updated stripestub.Obj) {
	t.Helper()
	sub := e.subscribeA1(0)
	e.deliver()
	e.stub.Advance(10 * time.Second)
	if _, err := e.svc.Pause(e.ctx, e.f.EnrollmentA1); err != nil {
		t.Fatal(err)
	}
	e.stub.Cancel(sub)
	pending := e.stub.Pending()
	return eventsOf(pending, "customer.subscription.deleted")[0], eventsOf(pending, "customer.subscription.updated")[0]
}
