package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"

	"cedarheights/academy"
)

// Card disputes. When a family's bank disputes a card payment, Stripe takes
// the amount back from the academy at once; until the academy wins, the
// family owes it again. The ledger shows that as a `chargeback` entry (and
// its reversal when the dispute is won; Stripe's dispute fee is the
// academy's cost, not the family's), the payment is marked disputed, and
// the admins are told what to do and by when. An inquiry (warning_*) moves
// no money: the admins are told only.

// StatusDisputed marks a payment whose bank took the money back.
const StatusDisputed = "disputed"

// NoticeDispute is an admin notice about a dispute.
const NoticeDispute = "dispute"

// fetchDispute reads the dispute's current state: its events can arrive
// out of order, and what counts is where it stands now.
func fetchDispute(ctx context.Context, s *Service, raw json.RawMessage) (any, error) {
	return currentState(s, raw, func(id string) (*stripe.Dispute, error) {
		params := &stripe.DisputeParams{}
		params.Context = ctx
		return s.sc.Disputes.Get(id, params)
	})
}

// applyDispute brings the ledger, the payment and the admins' notices in
// line with the dispute's current status. Every write is keyed by the
// dispute (and status), so created, updated and closed events, in any
// order and any number of times, end in the same state.
func applyDispute(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, prepared any) (string, error) {
	dp := prepared.(*stripe.Dispute)
	payment, err := recordedPayment(txApp, dp.PaymentIntent, "dispute "+dp.ID)
	if err != nil {
		return "", err
	}

	inquiry := strings.HasPrefix(string(dp.Status), "warning_")
	family, currency := payment.GetString("family"), payment.GetString("currency")
	text := paymentDescription(payment.GetString("kind"), payment.GetString("description"))
	when := time.Unix(ev.Created, 0)
	entry := func(amount int64, key, description string) error {
		_, err := post(txApp, Entry{
			Family: family, Kind: KindChargeback, Amount: amount, Currency: currency, Description: description,
			Payment: payment.Id, Enrollment: payment.GetString("enrollment"), Method: payment.GetString("method"),
			StripeObject: dp.ID, StripePaymentIntent: payment.GetString("stripe_payment_intent_id"),
			SourceKey: "dispute:" + dp.ID + ":" + key, OccurredAt: when,
		})
		return err
	}
	if !inquiry {
		if err := entry(dp.Amount, "withdrawn", fmt.Sprintf("Payment taken back by the bank (dispute: %s): %s", dp.Reason, text)); err != nil {
			return "", err
		}
	}
	if dp.Status == stripe.DisputeStatusWon {
		if err := entry(-dp.Amount, "reinstated", "Dispute decided for the academy: payment reinstated for "+text); err != nil {
			return "", err
		}
	}

	switch {
	case dp.Status == stripe.DisputeStatusWon || dp.Status == stripe.DisputeStatusWarningClosed:
		if payment.GetString("status") == StatusDisputed {
			payment.Set("status", settledStatus(payment))
		}
	case !inquiry:
		payment.Set("status", StatusDisputed)
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}

	money := FormatMoney(dp.Amount, currency)
	subject, body := disputeNotice(txApp, dp, money, payment.Id)
	if err := tellAdmins(txApp, family, NoticeDispute, "dispute:"+dp.ID+":"+string(dp.Status), subject, body, ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("dispute %s %s for payment %s", dp.ID, dp.Status, payment.Id), nil
}

// disputeNotice tells the admins where a dispute stands and what to do.
func disputeNotice(app core.App, dp *stripe.Dispute, money, paymentID string) (string, string) {
	due := "the date in the Stripe dashboard"
	if dp.EvidenceDetails != nil && dp.EvidenceDetails.DueBy > 0 {
		zone := time.UTC
		if s, err := academy.Load(app); err == nil && s.Zone != nil {
			zone = s.Zone
		}
		due = time.Unix(dp.EvidenceDetails.DueBy, 0).In(zone).Format("Monday 2 January 2006, 15:04 MST")
	}
	what := fmt.Sprintf("payment %s of %s (dispute %s, reason: %s)", paymentID, money, dp.ID, dp.Reason)
	switch dp.Status {
	case stripe.DisputeStatusWarningNeedsResponse, stripe.DisputeStatusWarningUnderReview:
		return "A bank asks about a payment: " + money,
			"The family's bank is asking about " + what + ". No money has moved yet. Answer in the Stripe dashboard by " + due + " to keep it from becoming a dispute."
	case stripe.DisputeStatusWarningClosed:
		return "Bank inquiry closed: " + money, "The inquiry about " + what + " was closed without a dispute."
	case stripe.DisputeStatusNeedsResponse:
		return "Payment disputed: " + money,
			"The family's bank disputed " + what + " and took the money back; the family's account owes it again. Submit evidence in the Stripe dashboard by " + due + "."
	case stripe.DisputeStatusUnderReview:
		return "Dispute under review: " + money, "Evidence was submitted for " + what + "; the bank is deciding."
	case stripe.DisputeStatusWon:
		return "Dispute won: " + money, "The bank decided " + what + " for the academy: the money is back and the family's account is settled again."
	case stripe.DisputeStatusLost:
		return "Dispute lost: " + money, "The bank decided " + what + " for the card holder: the money stays with the family's bank and the family's account owes it."
	}
	return "Dispute " + string(dp.Status) + ": " + money, "Dispute update for " + what + "."
}
