package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Refund holds: how "at most what is left" is decided for a card refund.
// The Stripe call may not run inside a transaction (it would hold SQLite's
// only writer for a network round trip), so the decision and the refund
// cannot share one. Instead:
//
//  1. reserve: one transaction re-reads the payment, computes what is left
//     (amount − refunded − pending holds) and writes a pending hold for the
//     refund's amount, or refuses;
//  2. Stripe is asked, outside any transaction, with an idempotency key and
//     metadata naming the hold;
//  3. settle: a second transaction records the refund (keyed by Stripe's
//     refund id, as the charge.refunded webhook does) and marks the hold
//     settled. When Stripe refuses, the hold is released (deleted).
//
// A hold whose request died between 1 and 3 (a crash, a lost answer) stays
// pending and keeps its amount reserved, which errs on the safe side. The
// charge.refunded webhook settles it if Stripe made the refund (the hold's
// id is in the refund's metadata). After RefundHoldTTL, the next refund of
// the payment and `billing resync` resolve it against Stripe's list of the
// payment's refunds: recorded if Stripe has it, released if not; `billing
// reconcile` lists it until then.

const refundHoldsCollection = "refund_holds"

// Hold statuses.
const (
	HoldPending = "pending"
	HoldSettled = "settled"
)

// RefundHoldTTL is how long a pending hold is taken to belong to a request
// still waiting for Stripe: far longer than a request's Stripe calls (a
// 60-second context), so resolving an older one races no live request.
const RefundHoldTTL = 10 * time.Minute

// MetaRefundHold is the metadata key naming the hold on our Stripe refunds.
const MetaRefundHold = "refund_hold_id"

// bindRefundHolds keeps the record API (and so the admin UI, superusers
// included) from writing holds: deleting a pending one would free an
// amount a refund in flight still counts on.
func bindRefundHolds(app core.App) {
	refuse := func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Refund holds are written by POST /api/v1/payments/{id}/refund and `billing resync` only.", nil)
	}
	app.OnRecordCreateRequest(refundHoldsCollection).BindFunc(refuse)
	app.OnRecordUpdateRequest(refundHoldsCollection).BindFunc(refuse)
	app.OnRecordDeleteRequest(refundHoldsCollection).BindFunc(refuse)
}

// refundRoom re-reads the payment in txApp and returns it with what may
// still be refunded: its amount less the refunds in the ledger and the
// holds still waiting for Stripe.
func refundRoom(txApp core.App, paymentID string) (payment *core.Record, left, held int64, err error) {
	payment, err = txApp.FindRecordById(paymentsCollection, paymentID)
	if err != nil {
		return nil, 0, 0, err
	}
	status := payment.GetString("status")
	if status != StatusSucceeded && status != StatusPartiallyRefunded {
		return nil, 0, 0, ErrNotRefundable
	}
	refunded, err := refundedTotal(txApp, paymentID)
	if err != nil {
		return nil, 0, 0, err
	}
	held, err = heldTotal(txApp, paymentID)
	if err != nil {
		return nil, 0, 0, err
	}
	return payment, int64(payment.GetInt("amount")) - refunded - held, held, nil
}

// refundAmount is the amount to refund: the one asked (0: all that is
// left), refused on amount when it does not fit.
func refundAmount(payment *core.Record, asked, left, held int64) (int64, error) {
	amount := asked
	if amount == 0 {
		amount = left
	}
	if amount > 0 && amount <= left {
		return amount, nil
	}
	currency := payment.GetString("currency")
	msg := fmt.Sprintf("Must be at most the %s not yet refunded.", FormatMoney(max(left, 0), currency))
	if held > 0 {
		msg = fmt.Sprintf("Must be at most the %s not yet refunded (%s more is being refunded now).",
			FormatMoney(max(left, 0), currency), FormatMoney(held, currency))
	}
	return 0, validation.Errors{"amount": validation.NewError("validation_refund_too_large", msg)}
}

// heldTotal sums a payment's pending holds.
func heldTotal(app core.App, paymentID string) (int64, error) {
	var total int64
	err := app.DB().Select("COALESCE(SUM(amount), 0)").From(refundHoldsCollection).
		Where(dbx.HashExp{"payment": paymentID, "status": HoldPending}).Row(&total)
	return total, err
}

// reserveRefund decides, in one transaction, that req fits and writes its
// hold. A request repeating a client Idempotency-Key gets that key's hold
// back (settled: nothing more to do; pending: ask Stripe again, which
// replays its answer).
func (s *Service) reserveRefund(ctx context.Context, req RefundRequest) (*core.Record, error) {
	var hold *core.Record
	err := s.tx(ctx, func(txApp core.App) error {
		if req.IdempotencyKey != "" {
			existing, err := txApp.FindFirstRecordByFilter(refundHoldsCollection, "payment = {:p} && idempotency_key = {:k}",
				dbx.Params{"p": req.Payment, "k": req.IdempotencyKey})
			if err == nil {
				if req.Amount != 0 && int64(existing.GetInt("amount")) != req.Amount {
					return ErrIdempotencyConflict
				}
				hold = existing
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		payment, left, held, err := refundRoom(txApp, req.Payment)
		if err != nil {
			return err
		}
		amount, err := refundAmount(payment, req.Amount, left, held)
		if err != nil {
			return err
		}
		c, err := txApp.FindCachedCollectionByNameOrId(refundHoldsCollection)
		if err != nil {
			return err
		}
		hold = core.NewRecord(c)
		hold.Set("payment", payment.Id)
		hold.Set("amount", amount)
		hold.Set("status", HoldPending)
		hold.Set("idempotency_key", req.IdempotencyKey)
		expires, _ := types.ParseDateTime(time.Now().Add(RefundHoldTTL).UTC())
		hold.Set("expires_at", expires)
		return txApp.Save(hold)
	})
	return hold, err
}

// settleHold marks the payment's hold settled by Stripe's refund; an
// unknown id or a hold already settled or released is left as it is. Run
// it in the transaction that records the refund.
func settleHold(txApp core.App, paymentID, holdID, refundID string) error {
	if holdID == "" {
		return nil
	}
	hold, err := txApp.FindRecordById(refundHoldsCollection, holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil || hold.GetString("status") != HoldPending || hold.GetString("payment") != paymentID {
		return err
	}
	hold.Set("status", HoldSettled)
	hold.Set("stripe_refund", refundID)
	return txApp.Save(hold)
}

// releaseHold gives a pending hold's amount back (Stripe made no refund).
func releaseHold(txApp core.App, holdID string) error {
	hold, err := txApp.FindRecordById(refundHoldsCollection, holdID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil || hold.GetString("status") != HoldPending {
		return err
	}
	return txApp.Delete(hold)
}

// refusedByStripe reports whether Stripe answered err and made no refund:
// a 4xx other than a conflict on the idempotency key (the first request
// with that key may have made it). A network error or a 5xx leaves the
// outcome unknown, and the hold with it.
func refusedByStripe(err error) bool {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != 409 && se.Type != stripe.ErrorTypeIdempotency
}

// ExpiredHold is a pending hold past RefundHoldTTL.
type ExpiredHold struct {
	ID      string         `db:"id"`
	Payment string         `db:"payment"`
	Amount  int64          `db:"amount"`
	Expires types.DateTime `db:"expires_at"`
}

// expiredHolds lists the pending holds past their time (of one payment,
// or all when paymentID is "").
func expiredHolds(app core.App, paymentID string, now time.Time) ([]ExpiredHold, error) {
	cutoff, _ := types.ParseDateTime(now.UTC())
	q := app.DB().Select("id", "payment", "amount", "expires_at").From(refundHoldsCollection).
		Where(dbx.HashExp{"status": HoldPending}).
		AndWhere(dbx.NewExp("expires_at < {:now}", dbx.Params{"now": cutoff.String()})).
		OrderBy("expires_at")
	if paymentID != "" {
		q.AndWhere(dbx.HashExp{"payment": paymentID})
	}
	var out []ExpiredHold
	return out, q.All(&out)
}

// resolveExpiredHolds settles or releases the expired holds (of one
// payment, or all) by what Stripe has: a refund of the payment naming the
// hold is recorded as the route would have; no such refund means the
// request died before Stripe made one, and the hold is released. It
// returns how many it resolved.
func (s *Service) resolveExpiredHolds(ctx context.Context, paymentID string) (int, error) {
	holds, err := expiredHolds(s.app, paymentID, time.Now())
	if err != nil || len(holds) == 0 {
		return 0, err
	}
	sc, err := s.stripe()
	if err != nil {
		return 0, err
	}
	byPayment := map[string][]ExpiredHold{}
	var order []string
	for _, h := range holds {
		if _, ok := byPayment[h.Payment]; !ok {
			order = append(order, h.Payment)
		}
		byPayment[h.Payment] = append(byPayment[h.Payment], h)
	}
	resolved := 0
	for _, pid := range order {
		payment, err := s.app.FindRecordById(paymentsCollection, pid)
		if err != nil {
			return resolved, err
		}
		refunds, err := holdRefunds(ctx, sc, payment.GetString("stripe_payment_intent_id"))
		if err != nil {
			return resolved, err
		}
		for _, h := range byPayment[pid] {
			re := refunds[h.ID]
			err := s.app.RunInTransaction(func(txApp core.App) error {
				if re == nil {
					return releaseHold(txApp, h.ID)
				}
				if err := applyRefund(txApp, pid, re.ID, re.Amount, time.Unix(re.Created, 0)); err != nil {
					return err
				}
				return settleHold(txApp, pid, h.ID, re.ID)
			})
			if err != nil {
				return resolved, fmt.Errorf("refund hold %s: %w", h.ID, err)
			}
			resolved++
		}
	}
	return resolved, nil
}

// holdRefunds maps hold ids to the refunds Stripe made for them on a
// PaymentIntent (failed and canceled ones moved no money).
func holdRefunds(ctx context.Context, sc *client.API, pi string) (map[string]*stripe.Refund, error) {
	out := map[string]*stripe.Refund{}
	if pi == "" {
		return out, nil
	}
	params := &stripe.RefundListParams{PaymentIntent: stripe.String(pi)}
	params.Context = ctx
	iter := sc.Refunds.List(params)
	for iter.Next() {
		re := iter.Refund()
		if re.Status == stripe.RefundStatusFailed || re.Status == stripe.RefundStatusCanceled {
			continue
		}
		if re.PaymentIntent != nil && re.PaymentIntent.ID != "" && re.PaymentIntent.ID != pi {
			continue
		}
		if id := re.Metadata[MetaRefundHold]; id != "" {
			out[id] = re
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list refunds of %s: %w", pi, err)
	}
	return out, nil
}
