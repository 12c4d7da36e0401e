package billing_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// cardPaid makes a card payment of amount for parent A and returns it.
func (e *env) cardPaid(key string, amount int64) *core.Record {
	e.t.Helper()
	res, err := e.svc.ProcessPayment(e.ctx, cardPayment(e.f.ParentA.ID, key, "pm_card_visa", amount))
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Payment
}

// hold writes a refund hold directly, as a request that died would have
// left it.
func (e *env) hold(payment string, amount int64, expires time.Time) *core.Record {
	e.t.Helper()
	c, err := e.app.FindCollectionByNameOrId("refund_holds")
	if err != nil {
		e.t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Load(map[string]any{"payment": payment, "amount": amount, "status": billing.HoldPending, "expires_at": expires.UTC()})
	if err := e.app.Save(r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) ledgerRefunds(payment string) int64 {
	e.t.Helper()
	var sum int64
	err := e.app.DB().Select("COALESCE(SUM(amount), 0)").From("ledger_entries").
		Where(dbx.HashExp{"payment": payment, "kind": "refund"}).Row(&sum)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum
}

func amountRefused(err error) bool {
	var fields validation.Errors
	if !errors.As(err, &fields) {
		return false
	}
	var ve validation.Error
	return errors.As(fields["amount"], &ve) && ve.Code() == "validation_refund_too_large"
}

// A request that died after reserving and before Stripe: its hold keeps
// the amount until it expires, reconcile lists it then, and the next
// refund releases it (Stripe has no refund naming it).
func TestExpiredHoldWithoutRefundIsReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-release-1", 10000)
	live := e.hold(p.Id, 6000, time.Now().Add(time.Hour))
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); !amountRefused(err) {
		t.Fatalf("a refund past a live hold: %v", err)
	}
	if err := e.app.Delete(live); err != nil {
		t.Fatal(err)
	}

	dead := e.hold(p.Id, 6000, time.Now().Add(-time.Minute))
	rep, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(rep, "refund_hold_expired", "refund hold "+dead.Id) {
		t.Fatalf("reconcile missed the expired hold: %+v", rep.Mismatches)
	}
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); err != nil {
		t.Fatalf("refund after the hold expired: %v", err)
	}
	if _, err := e.app.FindRecordById("refund_holds", dead.Id); err == nil {
		t.Error("the expired hold is still there")
	}
	if got := e.ledgerRefunds(p.Id); got != 6000 {
		t.Errorf("ledger refunds %d", got)
	}
	if n := len(e.stub.All("refund")); n != 1 {
		t.Errorf("%d refunds at Stripe", n)
	}
}

// A request that died after Stripe made the refund and before it was
// recorded, its webhook lost: the next refund finds the refund by the
// hold's id, records it once and decides on what is really left.
func TestExpiredHoldWithRefundIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-settle-1", 10000)
	dead := e.hold(p.Id, 7000, time.Now().Add(-time.Minute))
	e.stripeRefund(p, dead.Id, 7000)
	e.stub.Pending() // the webhook is lost

	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 4000}); !amountRefused(err) {
		t.Fatalf("4000 of the 3000 left: %v", err)
	}
	if got := e.ledgerRefunds(p.Id); got != 7000 {
		t.Errorf("ledger refunds %d, want the 7000 Stripe made", got)
	}
	if h := e.record("refund_holds", dead.Id); h.GetString("status") != billing.HoldSettled || h.GetString("stripe_refund") == "" {
		t.Errorf("hold %v", h.FieldsData())
	}
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id}); err != nil {
		t.Fatalf("the rest: %v", err)
	}
	if got := e.ledgerRefunds(p.Id); got != 10000 {
		t.Errorf("ledger refunds %d", got)
	}
	e.deliver() // the later refund's webhook lists both: nothing new
	if got := e.ledgerRefunds(p.Id); got != 10000 {
		t.Errorf("after the webhooks: ledger refunds %d", got)
	}
}

// Stripe refuses a refund our ledger thought fitted (one made in the
// dashboard, its webhook not yet here): the hold is released and the
// answer names amount.
func TestRefundRefusedByStripeReleasesHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-refused1", 10000)
	e.stub.RefundOutside(p.GetString("stripe_payment_intent_id"), 5000)
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); !amountRefused(err) {
		t.Fatalf("Stripe's refusal: %v", err)
	}
	if n := e.count("refund_holds", dbx.HashExp{"status": billing.HoldPending}); n != 0 {
		t.Errorf("%d holds left pending", n)
	}
	e.deliver()
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 5000}); err != nil {
		t.Fatalf("the 5000 really left: %v", err)
	}
	if got := e.ledgerRefunds(p.Id); got != 10000 {
		t.Errorf("ledger refunds %d", got)
	}
}

// When Stripe's answer is lost (here: Stripe unreachable), the hold keeps
// the amount: a second refund cannot take it too.
func TestUnknownOutcomeKeepsHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-unknown1", 10000)
	billing.Use(e.app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: webhookSecret, APIBase: "http://127.0.0.1:1"})
	svc := billing.From(e.app)
	if _, err := svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); !errors.Is(err, billing.ErrRefundOutcomeUnknown) {
		t.Fatalf("Stripe unreachable: %v", err)
	}
	if n := e.count("refund_holds", dbx.HashExp{"payment": p.Id, "status": billing.HoldPending}); n != 1 {
		t.Fatalf("%d pending holds", n)
	}
	if _, err := svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); !amountRefused(err) {
		t.Fatalf("a second refund of the held amount: %v", err)
	}
}

// A client's Idempotency-Key refunds once however often it is sent; the
// same key for another amount is a conflict.
func TestRefundIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-idem-001", 10000)
	req := billing.RefundRequest{Payment: p.Id, Amount: 3000, IdempotencyKey: "refund-key-0001"}
	for range 3 {
		if _, err := e.svc.Refund(e.ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.ledgerRefunds(p.Id); got != 3000 {
		t.Errorf("ledger refunds %d", got)
	}
	if n := len(e.stub.All("refund")); n != 1 {
		t.Errorf("%d refunds at Stripe", n)
	}
	req.Amount = 4000
	if _, err := e.svc.Refund(e.ctx, req); !errors.Is(err, billing.ErrIdempotencyConflict) {
		t.Errorf("the key for another amount: %v", err)
	}
}

// The ledger's last line: a refund Stripe reports past what the payment
// says it received is not recorded (the event fails, for an admin).
func TestLedgerRefusesRefundsPastThePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-invariant", 10000)
	p.Set("amount", 5000) // the record disagrees with Stripe's charge
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	e.stub.RefundOutside(p.GetString("stripe_payment_intent_id"), 8000)
	refunded := eventsOf(e.stub.Pending(), "charge.refunded")
	if len(refunded) != 1 {
		t.Fatalf("%d charge.refunded events", len(refunded))
	}
	if code, err := e.stub.Deliver(refunded[0], stripestub.Delivery{}); err != nil || code != http.StatusOK {
		t.Fatal(code, err)
	}
	e.svc.Flush()
	if got := e.ledgerRefunds(p.Id); got != 0 {
		t.Errorf("the ledger refunded %d of a payment of 5000", got)
	}
	if s := e.eventStatus(refunded[0]["id"].(string)); s != billing.EventFailed {
		t.Errorf("event %s", s)
	}
}

// Reconcile names a payment whose refunds exceed it, however the ledger
// got there (written here directly, past every guard).
func TestReconcileNamesRefundsPastThePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, err := billing.RecordPayment(e.app, billing.OfflinePayment{Family: e.f.ParentB.ID, Amount: 5000, Kind: "other", Method: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := e.app.FindCollectionByNameOrId("ledger_entries")
	if err != nil {
		t.Fatal(err)
	}
	for i, amount := range []int64{3000, 3000} {
		for _, kind := range []string{"refund", "credit"} {
			r := core.NewRecord(ledger)
			sign := int64(1)
			if kind == "credit" {
				sign = -1
			}
			r.Load(map[string]any{
				"family": e.f.ParentB.ID, "kind": kind, "amount": sign * amount, "currency": "cad", "description": "forged",
				"payment": p.Id, "source_key": "forged:" + kind + ":" + string(rune('a'+i)), "occurred_at": time.Now().UTC(),
			})
			if err := e.app.Save(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Set("amount_refunded", 6000)
	p.Set("status", billing.StatusRefunded)
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(rep, "refunds_exceed_payment", "payment "+p.Id) {
		t.Errorf("reconcile missed refunds of 6000 on a payment of 5000: %+v", rep.Mismatches)
	}
}

// stripeRefund makes a refund at the stand-in as our route would have,
// naming hold, whose answer the route then lost.
func (e *env) stripeRefund(p *core.Record, hold string, amount int64) {
	e.t.Helper()
	sc := client.New("sk_test_stub", stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(e.stub.URL)}))
	_, err := sc.Refunds.New(&stripe.RefundParams{
		PaymentIntent: stripe.String(p.GetString("stripe_payment_intent_id")), Amount: stripe.Int64(amount),
		Metadata: map[string]string{billing.MetaRefundHold: hold, billing.MetaPayment: p.Id},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// The route died after Stripe's answer: the charge.refunded webhook
// records the refund and frees its hold, so the rest can be refunded.
func TestWebhookSettlesHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-webhook1", 10000)
	live := e.hold(p.Id, 4000, time.Now().Add(time.Hour))
	e.stripeRefund(p, live.Id, 4000)
	e.deliver()
	if h := e.record("refund_holds", live.Id); h.GetString("status") != billing.HoldSettled {
		t.Fatalf("hold %v", h.FieldsData())
	}
	if _, err := e.svc.Refund(e.ctx, billing.RefundRequest{Payment: p.Id, Amount: 6000}); err != nil {
		t.Fatalf("the 6000 left: %v", err)
	}
	if got := e.ledgerRefunds(p.Id); got != 10000 {
		t.Errorf("ledger refunds %d", got)
	}
}

// `billing resync` resolves every expired hold: released when Stripe has
// no refund for it, recorded when it has.
func TestResyncResolvesExpiredHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-resync-1", 10000)
	e.deliver()
	none := e.hold(p.Id, 2000, time.Now().Add(-time.Minute))
	made := e.hold(p.Id, 3000, time.Now().Add(-time.Minute))
	e.stripeRefund(p, made.Id, 3000)
	e.stub.Pending()
	enr := e.record("enrollments", e.f.EnrollmentA1)
	enr.Set("stripe_subscription_id", "") // the fixture's placeholder is unknown to the stand-in
	if err := e.app.Save(enr); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.Resync(e.ctx, time.Now().Add(-time.Hour))
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("resync: %v %v", err, rep.Errors)
	}
	if _, err := e.app.FindRecordById("refund_holds", none.Id); err == nil {
		t.Error("the hold Stripe has no refund for is still there")
	}
	if h := e.record("refund_holds", made.Id); h.GetString("status") != billing.HoldSettled {
		t.Errorf("hold %v", h.FieldsData())
	}
	if got := e.ledgerRefunds(p.Id); got != 3000 {
		t.Errorf("ledger refunds %d", got)
	}
	report, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range report.Mismatches {
		if m.Check == "refund_hold_expired" {
			t.Errorf("left after resync: %+v", m)
		}
	}
}

// Holds are billing's: the record API writes none, not even for a
// superuser; admins may read them.
func TestRefundHoldsAreNotWrittenThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.cardPaid("key-hold-api-0001", 10000)
	h := e.hold(p.Id, 1000, time.Now().Add(time.Hour))
	base := e.srv.URL + "/api/collections/refund_holds/records"
	send := func(method, url, token, body string) int {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	create := `{"payment":"` + p.Id + `","amount":1,"status":"pending","expires_at":"2030-01-01 00:00:00.000Z"}`
	for _, c := range []struct{ method, url, body string }{
		{http.MethodPost, base, create},
		{http.MethodPatch, base + "/" + h.Id, `{"amount":1}`},
		{http.MethodDelete, base + "/" + h.Id, ""},
	} {
		if code := send(c.method, c.url, e.f.Superuser.Token, c.body); code != http.StatusForbidden {
			t.Errorf("superuser %s: %d", c.method, code)
		}
	}
	if got := e.record("refund_holds", h.Id); got.GetInt("amount") != 1000 {
		t.Errorf("hold changed: %v", got.FieldsData())
	}
	if code := send(http.MethodGet, base+"/"+h.Id, e.f.Admin.Token, ""); code != http.StatusOK {
		t.Errorf("admin view: %d", code)
	}
	if code := send(http.MethodGet, base+"/"+h.Id, e.f.ParentA.Token, ""); code != http.StatusNotFound {
		t.Errorf("parent view: %d", code)
	}
}

// A payment the bank took back in a dispute and then refunded as well pays
// out twice: reconcile (and so doctor) names it.
func TestReconcileNamesRefundsOnTopOfAChargeback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, err := billing.RecordPayment(e.app, billing.OfflinePayment{Family: e.f.ParentB.ID, Amount: 5000, Kind: "other", Method: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := e.app.FindCollectionByNameOrId("ledger_entries")
	if err != nil {
		t.Fatal(err)
	}
	// The refund a minute after the chargeback: reconcile tells a refund
	// made after the bank took the money back by the entries' times.
	start := time.Now().UTC()
	for _, entry := range []struct {
		kind   string
		amount int64
		at     time.Time
	}{{"chargeback", 5000, start}, {"refund", 1000, start.Add(time.Minute)}, {"credit", -1000, start.Add(time.Minute)}} {
		r := core.NewRecord(ledger)
		r.Load(map[string]any{
			"family": e.f.ParentB.ID, "kind": entry.kind, "amount": entry.amount, "currency": "cad", "description": "forged",
			"payment": p.Id, "source_key": "forged:" + entry.kind, "occurred_at": entry.at,
		})
		if err := e.app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	p.Set("amount_refunded", 1000)
	p.Set("status", billing.StatusDisputed)
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.Reconcile(e.ctx, zeroTime)
	if err != nil {
		t.Fatal(err)
	}
	if !hasMismatch(rep, "refunds_and_chargebacks_exceed_payment", "payment "+p.Id) {
		t.Errorf("reconcile missed a refund of 1000 on top of a chargeback of 5000 on a payment of 5000: %+v", rep.Mismatches)
	}
	if hasMismatch(rep, "refunds_exceed_payment", "payment "+p.Id) {
		t.Error("the refund alone is within the payment")
	}
}

// A bank may dispute the full amount of a payment refunded in part before
// (Stripe says card issuers do, and correct it on the refund as evidence):
// the ledger is right, so reconcile names it for the admins to answer
// (dispute_exceeds_unrefunded, doctor's attention), not as refunds paid on
// top of a chargeback, which stays for a refund made after the dispute.
// The simulation's year played the first case (a dashboard refund whose
// webhook lands after the dispute's) and doctor failed it.
func TestReconcileTellsARefundBeforeADisputeFromOneAfter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name              string
		refundFirst, late bool
		want, notWanted   string
	}{
		{"refund, then the dispute", true, false, "dispute_exceeds_unrefunded", "refunds_and_chargebacks_exceed_payment"},
		{"refund, then the dispute, its webhook after the dispute's", true, true, "dispute_exceeds_unrefunded", "refunds_and_chargebacks_exceed_payment"},
		{"dispute, then a refund", false, false, "refunds_and_chargebacks_exceed_payment", "dispute_exceeds_unrefunded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			p := e.cardPaid("key-"+strings.ReplaceAll(c.name, " ", "-"), 8000)
			e.deliver()
			pi := p.GetString("stripe_payment_intent_id")
			if c.refundFirst {
				e.stub.RefundOutside(pi, 1000)
				var late []stripestub.Obj
				if c.late {
					late = e.stub.Pending()
				}
				e.stub.Dispute(pi, "fraudulent", false) // of the full 8000, as the stand-in's bank does
				e.deliver()
				for _, ev := range late {
					if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != http.StatusOK {
						t.Fatalf("late %s: %d %v", ev["type"], code, err)
					}
				}
				e.svc.Flush()
			} else {
				e.stub.Dispute(pi, "fraudulent", false)
				e.deliver()
				e.stub.Advance(time.Hour)
				e.stub.RefundOutside(pi, 1000)
				e.deliver()
			}
			if got := e.ledgerRefunds(p.Id); got != 1000 {
				t.Fatalf("ledger refunds %d, want 1000", got)
			}
			rep, err := e.svc.Reconcile(e.ctx, zeroTime)
			if err != nil {
				t.Fatal(err)
			}
			if !hasMismatch(rep, c.want, "payment "+p.Id) || hasMismatch(rep, c.notWanted, "payment "+p.Id) {
				t.Errorf("want %s and no %s: %+v", c.want, c.notWanted, rep.Mismatches)
			}
		})
	}
}
