package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// event_refunds.go: the refund events (a charge refunded, a refund
// updated), each applied from Stripe's current state.

type chargeRefunds struct {
	refunds []*stripe.Refund
	listed  bool
}

// listChargeRefunds reads the charge's refunds from Stripe (events do not
// carry them since API 2022-11-15); offline it falls back to the payload.
func listChargeRefunds(ctx context.Context, s *Service, raw json.RawMessage) (any, error) {
	var ch stripe.Charge
	if err := json.Unmarshal(raw, &ch); err != nil {
		return nil, err
	}
	out := &chargeRefunds{}
	if s.sc == nil {
		if ch.Refunds != nil {
			out.refunds, out.listed = ch.Refunds.Data, true
		}
		return out, nil
	}
	params := &stripe.RefundListParams{Charge: stripe.String(ch.ID)}
	params.Context = ctx
	iter := s.sc.Refunds.List(params)
	for iter.Next() {
		out.refunds = append(out.refunds, iter.Refund())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list refunds of %s: %w", ch.ID, err)
	}
	out.listed = true
	return out, nil
}

func applyChargeRefunded(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, prepared any) (string, error) {
	var ch stripe.Charge
	if err := json.Unmarshal(raw, &ch); err != nil {
		return "", err
	}
	payment, err := recordedPayment(txApp, ch.PaymentIntent, "charge "+ch.ID)
	if err != nil {
		return "", err
	}
	refunds := prepared.(*chargeRefunds)
	if !refunds.listed {
		// No refund ids: record the difference between Stripe's total and
		// ours, keyed by that total so a replay adds nothing.
		recorded, err := refundedTotal(txApp, payment.Id)
		if err != nil {
			return "", err
		}
		if delta := ch.AmountRefunded - recorded; delta > 0 {
			key := fmt.Sprintf("%s-total-%d", ch.ID, ch.AmountRefunded)
			return "refund total recorded", applyRefund(txApp, payment.Id, key, delta, time.Unix(ev.Created, 0))
		}
		return "refunds already recorded", nil
	}
	n := 0
	for _, re := range refunds.refunds {
		if re.Status != stripe.RefundStatusSucceeded && re.Status != stripe.RefundStatusPending {
			continue
		}
		if err := applyRefund(txApp, payment.Id, re.ID, re.Amount, time.Unix(re.Created, 0)); err != nil {
			return "", err
		}
		// A refund of ours whose route has not settled yet (or never will:
		// it died after Stripe's answer) frees its hold here.
		if err := settleHold(txApp, payment.Id, re.Metadata[MetaRefundHold], re.ID); err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("%d refund(s) of %s in the ledger", n, ch.ID), nil
}

// fetchRefund reads the refund's current state: its events may arrive out
// of order (pending, then failed), and only the latest status counts.
func fetchRefund(ctx context.Context, s *Service, raw json.RawMessage) (any, error) {
	return currentState(s, raw, func(id string) (*stripe.Refund, error) {
		params := &stripe.RefundParams{}
		params.Context = ctx
		return s.sc.Refunds.Get(id, params)
	})
}

// currentState re-reads the object an event carries (raw) with get;
// offline, the event's copy is all there is.
func currentState[T any](s *Service, raw json.RawMessage, get func(id string) (*T, error)) (*T, error) {
	var obj T
	var ref struct {
		ID string `json:"id"`
	}
	if err := errors.Join(json.Unmarshal(raw, &obj), json.Unmarshal(raw, &ref)); err != nil {
		return nil, err
	}
	if s.sc == nil {
		return &obj, nil
	}
	fresh, err := get(ref.ID)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", ref.ID, err)
	}
	return fresh, nil
}

// applyRefundUpdated takes back a refund that failed after we recorded it
// (a closed card account, say): Stripe returns the money to our balance
// and lowers the charge's amount_refunded, so the ledger must too.
func applyRefundUpdated(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, prepared any) (string, error) {
	re := prepared.(*stripe.Refund)
	if re.Status != stripe.RefundStatusFailed && re.Status != stripe.RefundStatusCanceled {
		return "", ignored(fmt.Sprintf("refund %s is %s", re.ID, re.Status))
	}
	payment, err := recordedPayment(txApp, re.PaymentIntent, "refund "+re.ID)
	if err != nil {
		return "", err
	}
	reversed, err := reverseRefund(txApp, payment.Id, re.ID, string(re.FailureReason), time.Unix(ev.Created, 0))
	if err != nil {
		return "", err
	}
	if !reversed {
		return "", ignored(fmt.Sprintf("refund %s is %s and not in the ledger", re.ID, re.Status))
	}
	return fmt.Sprintf("refund %s %s: taken back from the ledger", re.ID, re.Status), nil
}
