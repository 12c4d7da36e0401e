package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/stripe/stripe-go/v76"
)

// Refunds, full or partial. A card payment is refunded through Stripe; a
// cash, cheque or transfer payment is refunded by hand and only recorded.
// Either way the ledger gets two entries per refund, keyed by the refund:
// the money paid back (refund, +) and the charge it cancels (credit, −), so
// a refunded payment leaves the family's balance where it was before the
// charge. The payment's amount_refunded is derived from its refund entries.

// RefundReasons are Stripe's refund reasons a caller may give.
var RefundReasons = []any{"requested_by_customer", "duplicate", "fraudulent"}

// RefundRequest refunds a payment; Amount 0 refunds what is left.
type RefundRequest struct {
	Payment        string `json:"payment"`
	Amount         int64  `json:"amount"`
	Reason         string `json:"reason"`
	IdempotencyKey string `json:"-"` // optional: a retry with the same key refunds once
}

func (r *RefundRequest) validate() error {
	return validation.ValidateStruct(r,
		validation.Field(&r.Amount, validation.Min(int64(0)), validation.Max(int64(MaxAmount))),
		validation.Field(&r.Reason, validation.In(RefundReasons...).Error("Must be requested_by_customer, duplicate or fraudulent.")),
	)
}

// ErrNotRefundable: the payment has not succeeded or is fully refunded.
var ErrNotRefundable = validation.Errors{"payment": validation.NewError("validation_not_refundable", "Only a succeeded, not fully refunded payment can be refunded.")}

// ErrRefundOutcomeUnknown: Stripe's answer to a card refund was lost (a
// network error, a 5xx). The refund's hold keeps its amount until the
// charge.refunded webhook, or `billing resync` after RefundHoldTTL, says
// whether Stripe made it.
var ErrRefundOutcomeUnknown = errors.New("Stripe's answer to the refund was lost; its amount stays held until Stripe's webhook or `billing resync` tells whether it was made")

// Refund refunds req.Amount of the payment (all that is left when 0).
// Whether it fits is decided in the transaction that writes it: for a
// refund recorded by hand, the one that posts it; for a card refund, the
// one that reserves its hold (refund_holds.go) before Stripe is asked.
func (s *Service) Refund(ctx context.Context, req RefundRequest) (*core.Record, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" && !ValidIdempotencyKey(req.IdempotencyKey) {
		return nil, validation.Errors{"Idempotency-Key": validation.NewError("validation_idempotency_key", "The Idempotency-Key header must be 8 to 200 printable characters.")}
	}
	// The method never changes; everything else is re-read in the
	// transaction that decides.
	payment, err := s.app.FindRecordById(paymentsCollection, req.Payment)
	if err != nil {
		return nil, err
	}

	if payment.GetString("method") != "stripe" {
		// Money handed back by hand: record it.
		key := "manual-" + security.RandomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789")
		err := s.tx(ctx, func(txApp core.App) error {
			fresh, left, held, err := refundRoom(txApp, payment.Id)
			if err != nil {
				return err
			}
			amount, err := refundAmount(fresh, req.Amount, left, held)
			if err != nil {
				return err
			}
			return applyRefund(txApp, payment.Id, key, amount, time.Now())
		})
		if err != nil {
			return nil, err
		}
		return s.app.FindRecordById(paymentsCollection, payment.Id)
	}

	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	pi := payment.GetString("stripe_payment_intent_id")
	if pi == "" {
		return nil, ErrNotRefundable
	}
	// Holds left by requests that died are settled or released first, so
	// they do not keep the room they reserved.
	if _, err := s.resolveExpiredHolds(ctx, payment.Id); err != nil {
		return nil, err
	}
	hold, err := s.reserveRefund(ctx, req)
	if err != nil {
		return nil, err
	}
	if hold.GetString("status") == HoldSettled {
		return s.app.FindRecordById(paymentsCollection, payment.Id) // a replay of a finished refund
	}

	params := &stripe.RefundParams{
		PaymentIntent: stripe.String(pi),
		Amount:        stripe.Int64(int64(hold.GetInt("amount"))),
		Metadata:      map[string]string{MetaPayment: payment.Id, MetaFamily: payment.GetString("family"), MetaRefundHold: hold.Id},
	}
	if req.Reason != "" {
		params.Reason = stripe.String(req.Reason)
	}
	params.SetIdempotencyKey("cedarheights-refund-" + hold.Id)
	params.Context = ctx
	re, err := sc.Refunds.New(params)
	if err == nil && (re.Status == stripe.RefundStatusFailed || re.Status == stripe.RefundStatusCanceled) {
		if rerr := s.tx(ctx, func(txApp core.App) error { return releaseHold(txApp, hold.Id) }); rerr != nil {
			return nil, rerr
		}
		return nil, fmt.Errorf("Stripe refund %s is %s", re.ID, re.Status)
	}
	if err != nil {
		if !refusedByStripe(err) {
			// Stripe may have made it: the hold keeps the amount until the
			// webhook or the expiry resolves it.
			return nil, fmt.Errorf("%w (hold %s): %v", ErrRefundOutcomeUnknown, hold.Id, err)
		}
		if rerr := s.tx(ctx, func(txApp core.App) error { return releaseHold(txApp, hold.Id) }); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		var se *stripe.Error
		if errors.As(err, &se) && se.Param == "amount" {
			// Stripe knows of a refund we have not recorded yet (one made
			// in the dashboard, its webhook still on the way).
			return nil, validation.Errors{"amount": validation.NewError("validation_refund_too_large", "Stripe refuses it: "+se.Msg)}
		}
		return nil, fmt.Errorf("create Stripe refund: %w", err)
	}
	err = s.tx(ctx, func(txApp core.App) error {
		if err := applyRefund(txApp, payment.Id, re.ID, re.Amount, time.Unix(re.Created, 0)); err != nil {
			return err
		}
		return settleHold(txApp, payment.Id, hold.Id, re.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.app.FindRecordById(paymentsCollection, payment.Id)
}

// applyRefund posts one refund (keyed by its id, so the route and the
// charge.refunded webhook record it once) and updates the payment.
func applyRefund(txApp core.App, paymentID, refundKey string, amount int64, when time.Time) error {
	payment, err := txApp.FindRecordById(paymentsCollection, paymentID)
	if err != nil {
		return err
	}
	family, currency := payment.GetString("family"), payment.GetString("currency")
	text := paymentDescription(payment.GetString("kind"), payment.GetString("description"))
	base := Entry{
		Family: family, Currency: currency, Payment: payment.Id, Enrollment: payment.GetString("enrollment"),
		Method: payment.GetString("method"), StripePaymentIntent: payment.GetString("stripe_payment_intent_id"),
		OccurredAt: when,
	}
	if !strings.HasPrefix(refundKey, "manual-") {
		base.StripeObject = refundKey
	}
	refund := base
	refund.Kind, refund.Amount, refund.SourceKey = KindRefund, amount, "refund:"+refundKey+":refund"
	refund.Description = "Refund paid out for " + text
	wrote, err := post(txApp, refund)
	if err != nil {
		return err
	}
	credit := base
	credit.Kind, credit.Amount, credit.SourceKey, credit.Method = KindCredit, -amount, "refund:"+refundKey+":credit", ""
	credit.Description = "Charge cancelled by refund: " + text
	if _, err := post(txApp, credit); err != nil {
		return err
	}
	if !wrote {
		return nil
	}

	refunded, err := refundedTotal(txApp, payment.Id)
	if err != nil {
		return err
	}
	// The last line: whoever decided, the ledger never pays back more than
	// came in (the transaction rolls back; a webhook's event fails and is
	// shown by `billing reconcile` and the event list).
	if refunded > int64(payment.GetInt("amount")) {
		return fmt.Errorf("refund %s of %s would take payment %s's refunds to %s, more than its %s",
			refundKey, FormatMoney(amount, currency), payment.Id, FormatMoney(refunded, currency), FormatMoney(int64(payment.GetInt("amount")), currency))
	}
	payment.Set("amount_refunded", refunded)
	if refunded >= int64(payment.GetInt("amount")) {
		setStatus(payment, StatusRefunded)
	} else {
		setStatus(payment, StatusPartiallyRefunded)
	}
	if err := txApp.Save(payment); err != nil {
		return err
	}
	return tellFamily(txApp, family, NoticeRefund, "refund:"+refundKey,
		"Refund: "+FormatMoney(amount, currency),
		fmt.Sprintf("We refunded %s of your payment for %s (receipt %s). Card refunds take 5 to 10 business days to appear.",
			FormatMoney(amount, currency), text, payment.Id), "", payment.Id)
}

// reverseRefund takes back a recorded refund that Stripe could not pay
// out. Only the payout is reversed: the charge stays cancelled, so the
// family is left with a credit the academy still owes it (returned another
// way, or set against the next tuition), and the admins are told. It
// reports whether the refund was in the ledger; a replay writes nothing.
func reverseRefund(txApp core.App, paymentID, refundID, reason string, when time.Time) (bool, error) {
	recorded, err := txApp.FindFirstRecordByData(ledgerCollection, "source_key", "refund:"+refundID+":refund")
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	payment, err := txApp.FindRecordById(paymentsCollection, paymentID)
	if err != nil {
		return false, err
	}
	amount := int64(recorded.GetInt("amount"))
	family, currency := payment.GetString("family"), payment.GetString("currency")
	if reason == "" {
		reason = "unknown"
	}
	wrote, err := post(txApp, Entry{
		Family: family, Kind: KindRefund, Amount: -amount, Currency: currency,
		Description: fmt.Sprintf("Refund not paid out (%s); the amount stays on the account", reason),
		Payment:     payment.Id, Enrollment: payment.GetString("enrollment"), Method: payment.GetString("method"),
		StripeObject: refundID, StripePaymentIntent: payment.GetString("stripe_payment_intent_id"),
		SourceKey: "refund:" + refundID + ":reversed", OccurredAt: when,
	})
	if err != nil || !wrote {
		return true, err
	}

	refunded, err := refundedTotal(txApp, payment.Id)
	if err != nil {
		return true, err
	}
	payment.Set("amount_refunded", refunded)
	// Set directly: setStatus never lets a settled payment move back, and
	// a failed refund is the one way back from (partially) refunded.
	if st := payment.GetString("status"); st == StatusRefunded || st == StatusPartiallyRefunded {
		payment.Set("status", settledStatus(payment))
	}
	if err := txApp.Save(payment); err != nil {
		return true, err
	}
	money := FormatMoney(amount, currency)
	if err := tellFamily(txApp, family, NoticeRefund, "refund-failed:"+refundID,
		"Refund not completed: "+money,
		fmt.Sprintf("Your bank could not accept our refund of %s (receipt %s). The amount stays as a credit on your account; we will be in touch to return it another way or set it against your next tuition.",
			money, payment.Id), billingPageLink(txApp), payment.Id); err != nil {
		return true, err
	}
	return true, tellAdmins(txApp, family, NoticeRefund, "refund-failed:"+refundID,
		"A refund failed: "+money,
		fmt.Sprintf("Stripe could not pay out refund %s of %s (payment %s; reason: %s). The family keeps it as a credit on its account: return it another way or apply it to tuition.",
			refundID, money, payment.Id, reason), "")
}

// refundedTotal sums the refund entries of a payment.
func refundedTotal(app core.App, paymentID string) (int64, error) {
	var total struct {
		Sum int64 `db:"total"`
	}
	err := app.DB().Select("COALESCE(SUM(amount), 0) AS total").From(ledgerCollection).
		Where(dbx.HashExp{"payment": paymentID, "kind": KindRefund}).One(&total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	return total.Sum, nil
}
