package billing

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The family ledger: every money movement is one immutable entry in signed
// minor units. A positive amount raises what the family owes (a charge, a
// refund paid out to it, a fee, a chargeback); a negative one lowers it (a
// payment, a credit). The balance is the sum, never stored. Each entry carries a
// source key naming the movement (e.g. "pi:pi_123:payment"), unique, so the
// route that saw a payment succeed and the webhook that reports it later
// write it once between them.

// Ledger entry kinds.
const (
	KindCharge  = "charge"
	KindPayment = "payment"
	KindRefund  = "refund"
	KindCredit  = "credit"
	KindFee     = "fee"
	// KindChargeback is money a family's bank took back in a dispute
	// (disputes.go); its reversal when the academy wins is one too.
	KindChargeback = "chargeback"
)

const ledgerCollection = "ledger_entries"

// Entry is one movement to post.
type Entry struct {
	Family              string
	Kind                string
	Amount              int64 // signed minor units; see the package comment
	Currency            string
	Description         string
	Payment             string
	Enrollment          string
	Method              string
	StripeObject        string
	StripePaymentIntent string
	SourceKey           string
	OccurredAt          time.Time
}

// errImmutable refuses any change to a posted entry.
var errImmutable = apis.NewForbiddenError("Ledger entries are immutable: post a credit or a refund instead.", nil)

// bindLedger makes entries immutable at the model level (every path,
// superusers included; the migration's triggers also stop raw SQL) and
// keeps the API from creating them: money enters the ledger through billing
// code only.
func bindLedger(app core.App) {
	refuse := func(e *core.RecordEvent) error { return errImmutable }
	app.OnRecordUpdate(ledgerCollection).BindFunc(refuse)
	app.OnRecordDelete(ledgerCollection).BindFunc(refuse)
	app.OnRecordCreateRequest(ledgerCollection).BindFunc(func(e *core.RecordRequestEvent) error {
		return apis.NewForbiddenError("Ledger entries are written by billing (payments, refunds, webhooks), not through the record API.", nil)
	})
	refuseCollection := func(e *core.CollectionRequestEvent) error {
		if e.Collection.Name == ledgerCollection {
			return apis.NewForbiddenError("The ledger collection is managed by migrations only.", nil)
		}
		return e.Next()
	}
	app.OnCollectionUpdateRequest().BindFunc(refuseCollection)
	app.OnCollectionDeleteRequest().BindFunc(refuseCollection)
}

// post writes e unless its source key is already in the ledger; it reports
// whether it wrote. Run it in the transaction that changes the state the
// entry describes.
func post(txApp core.App, e Entry) (bool, error) {
	if e.Amount == 0 {
		return false, nil
	}
	if e.SourceKey == "" || e.Family == "" || e.Currency == "" {
		return false, fmt.Errorf("ledger entry %+v: family, currency and source key are required", e)
	}
	existing, err := txApp.FindFirstRecordByData(ledgerCollection, "source_key", e.SourceKey)
	if err == nil && existing != nil {
		return false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	c, err := txApp.FindCachedCollectionByNameOrId(ledgerCollection)
	if err != nil {
		return false, err
	}
	r := core.NewRecord(c)
	r.Set("family", e.Family)
	r.Set("kind", e.Kind)
	r.Set("amount", e.Amount)
	r.Set("currency", e.Currency)
	r.Set("description", truncate(e.Description, 500))
	r.Set("payment", e.Payment)
	r.Set("enrollment", e.Enrollment)
	r.Set("method", e.Method)
	r.Set("stripe_object", e.StripeObject)
	r.Set("stripe_payment_intent", e.StripePaymentIntent)
	r.Set("source_key", e.SourceKey)
	when := e.OccurredAt
	if when.IsZero() {
		when = time.Now()
	}
	occurred, _ := types.ParseDateTime(when.UTC())
	r.Set("occurred_at", occurred)
	if err := txApp.Save(r); err != nil {
		return false, fmt.Errorf("post %s: %w", e.SourceKey, err)
	}
	return true, nil
}

// Balance is what a family owes in one currency (negative: credit).
type Balance struct {
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

// Balances derives a family's balance per currency from its entries.
func Balances(app core.App, family string) ([]Balance, error) {
	out := []Balance{}
	err := app.DB().Select("currency", "COALESCE(SUM(amount), 0) AS amount").
		From(ledgerCollection).
		Where(dbx.HashExp{"family": family}).
		GroupBy("currency").
		OrderBy("currency").
		All(&out)
	return out, err
}

// LedgerLine is one entry as the family sees it.
type LedgerLine struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	Payment     string `json:"payment,omitempty"`
	OccurredAt  string `json:"occurred_at"`
	Running     int64  `json:"running_balance"`
}

// Statement lists a family's entries in order with the running balance of
// each entry's currency.
func Statement(app core.App, family string) ([]LedgerLine, error) {
	records, err := app.FindRecordsByFilter(ledgerCollection, "family = {:f}", "occurred_at,created,id", 0, 0, dbx.Params{"f": family})
	if err != nil {
		return nil, err
	}
	lines, _ := StatementLines(records)
	return lines, nil
}

// kindOrder puts, within one instant, what is owed before what settles it.
var kindOrder = map[string]int{KindCharge: 0, KindFee: 1, KindPayment: 2, KindRefund: 3, KindCredit: 4, KindChargeback: 5}

// StatementLines orders ledger records (oldest first; at one instant a
// charge before its payment) and adds the running balance per currency; it
// also returns the final balances.
func StatementLines(records []*core.Record) ([]LedgerLine, []Balance) {
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b *core.Record) int {
		if c := a.GetDateTime("occurred_at").Time().Compare(b.GetDateTime("occurred_at").Time()); c != 0 {
			return c
		}
		return cmp.Compare(kindOrder[a.GetString("kind")], kindOrder[b.GetString("kind")])
	})
	running := map[string]int64{}
	var order []string
	lines := make([]LedgerLine, 0, len(sorted))
	for _, r := range sorted {
		cur := r.GetString("currency")
		if _, ok := running[cur]; !ok {
			order = append(order, cur)
		}
		amount := int64(r.GetInt("amount"))
		running[cur] += amount
		lines = append(lines, LedgerLine{
			ID: r.Id, Kind: r.GetString("kind"), Amount: amount, Currency: cur,
			Description: r.GetString("description"), Payment: r.GetString("payment"),
			OccurredAt: r.GetDateTime("occurred_at").String(), Running: running[cur],
		})
	}
	balances := make([]Balance, 0, len(order))
	for _, c := range order {
		balances = append(balances, Balance{Currency: c, Amount: running[c]})
	}
	return lines, balances
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
