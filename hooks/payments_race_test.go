package hooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/billing"
	"cedarheights/internal/testapp"
)

// Races on one payment's refunds: every request is sent at once through the
// real routes, so the "at most what is left" decision must be taken in the
// transaction that writes the refund, never from a read made before it.

const raceRequests = 10

// raceAnswer is one response of a race: its status and decoded body.
type raceAnswer struct {
	code int
	body map[string]any
	raw  string
}

// raceCall sends one JSON request as who and decodes the answer.
func raceCall(t testing.TB, method, url string, who testapp.Account, body any, headers map[string]string) raceAnswer {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, strings.NewReader(string(raw)))
	if err != nil {
		t.Error(err)
		return raceAnswer{}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", who.Token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return raceAnswer{}
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	_ = json.Unmarshal(text, &out)
	return raceAnswer{code: res.StatusCode, body: out, raw: string(text)}
}

// race sends n copies of one request at once (released together) and
// returns the answers.
func race(t *testing.T, n int, send func(i int) raceAnswer) []raceAnswer {
	t.Helper()
	answers := make([]raceAnswer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// checkRefundRace asserts that of the answers to refunds of 40 % each,
// exactly the two that fit succeeded and every other one is a 400 naming
// amount; that the payment and its ledger say the same 80 %; and that the
// family's ledger still balances (each refund cancels the charge it pays
// back).
func checkRefundRace(t *testing.T, app *tests.TestApp, answers []raceAnswer, paymentID, family string, amount int64) {
	t.Helper()
	ok := 0
	for _, a := range answers {
		switch {
		case a.code == http.StatusOK:
			ok++
		case a.code == http.StatusBadRequest && strings.Contains(a.raw, `"amount":{"code":"validation_refund_too_large"`):
		default:
			t.Errorf("a refund answered %d: %s", a.code, a.raw)
		}
	}
	if ok != 2 {
		t.Errorf("%d refunds of 40%% succeeded, want 2", ok)
	}
	var refunded int64
	err := app.DB().Select("COALESCE(SUM(amount), 0)").From("ledger_entries").
		Where(dbx.HashExp{"payment": paymentID, "kind": "refund"}).Row(&refunded)
	if err != nil {
		t.Fatal(err)
	}
	if refunded > amount || refunded != 2*amount*4/10 {
		t.Errorf("the ledger refunded %d of a payment of %d", refunded, amount)
	}
	p := testapp.Record(t, app, "payments", paymentID)
	if int64(p.GetInt("amount_refunded")) != refunded || p.GetString("status") != billing.StatusPartiallyRefunded {
		t.Errorf("payment says %d refunded (%s), the ledger %d", p.GetInt("amount_refunded"), p.GetString("status"), refunded)
	}
	balances, err := billing.Balances(app, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range balances {
		if b.Amount != 0 {
			t.Errorf("family balance %s %d after paying and refunding", b.Currency, b.Amount)
		}
	}
	rep, err := billing.From(app).Reconcile(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Mismatches {
		if m.Object == "payment "+paymentID || m.Object == p.GetString("stripe_payment_intent_id") {
			t.Errorf("reconcile: %+v", m)
		}
	}
}

// Ten admins refund 40 % of one cheque at once: two fit, eight are told
// how much is left.
func TestRefundRaceRecordedPayment(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	billing.Use(app, billing.Config{})
	srv := testapp.Serve(t, app)

	const amount = 10000
	rec := raceCall(t, http.MethodPost, srv.URL+"/api/v1/payments/record", f.Admin, map[string]any{
		"family": f.ParentB.ID, "amount": amount, "kind": "tuition", "method": "cheque", "reference": "cheque 0042",
	}, nil)
	if rec.code != http.StatusCreated {
		t.Fatalf("record: %d %s", rec.code, rec.raw)
	}
	payment := rec.body["id"].(string)

	answers := race(t, raceRequests, func(int) raceAnswer {
		return raceCall(t, http.MethodPost, srv.URL+"/api/v1/payments/"+payment+"/refund", f.Admin, map[string]any{"amount": amount * 4 / 10}, nil)
	})
	checkRefundRace(t, app, answers, payment, f.ParentB.ID, amount)
}

// The same race on a card payment through the Stripe stand-in: the ledger,
// Stripe and the webhooks that follow all agree on two refunds.
func TestRefundRaceCardPayment(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	stub := billingOnline(t, app)
	srv := testapp.Serve(t, app)
	stub.WebhookURL = srv.URL + "/api/v1/stripe/webhooks"
	svc := billing.From(app)
	t.Cleanup(svc.Flush)

	const amount = 10000
	paid := raceCall(t, http.MethodPost, srv.URL+"/api/v1/payments/process", f.ParentA, map[string]any{
		"amount": amount, "kind": "registration", "payment_method": "pm_card_visa",
	}, map[string]string{"Idempotency-Key": "race-card-payment-1"})
	if paid.code != http.StatusCreated || paid.body["status"] != "succeeded" {
		t.Fatalf("pay: %d %s", paid.code, paid.raw)
	}
	payment := paid.body["payment"].(map[string]any)["id"].(string)

	answers := race(t, raceRequests, func(int) raceAnswer {
		return raceCall(t, http.MethodPost, srv.URL+"/api/v1/payments/"+payment+"/refund", f.Admin, map[string]any{"amount": amount * 4 / 10}, nil)
	})
	if n := len(stub.All("refund")); n != 2 {
		t.Errorf("%d refunds at Stripe, want 2", n)
	}
	// The webhooks of the two refunds (and of the payment) add nothing.
	if err := stub.DeliverPending(); err != nil {
		t.Fatal(err)
	}
	svc.Flush()
	checkRefundRace(t, app, answers, payment, f.ParentA.ID, amount)
	pi := testapp.Record(t, app, "payments", payment).GetString("stripe_payment_intent_id")
	charge := stub.Get(stub.Get(pi)["latest_charge"].(string))
	if charge["amount_refunded"].(int64) != 2*amount*4/10 {
		t.Errorf("Stripe refunded %v", charge["amount_refunded"])
	}
	var holds int
	if err := app.DB().Select("COUNT(*)").From("refund_holds").Where(dbx.HashExp{"status": "pending"}).Row(&holds); err != nil {
		t.Fatal(err)
	}
	if holds != 0 {
		t.Errorf("%d refund holds left pending", holds)
	}
}
