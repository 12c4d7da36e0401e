package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// The event types we act on. Every other type is stored and ignored.
// HandledEventTypes is the list to subscribe the Stripe webhook endpoint to.
var handlers = map[stripe.EventType]handler{
	"invoice.paid":                    {ordered: true, fetch: fetchInvoice, apply: applyInvoicePaid},
	"invoice.payment_failed":          {ordered: true, fetch: fetchInvoice, apply: applyInvoiceFailed},
	"invoice.payment_action_required": {ordered: true, fetch: fetchInvoice, apply: applyInvoiceActionRequired},
	"customer.subscription.created":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"customer.subscription.updated":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"customer.subscription.deleted":   {ordered: true, fetch: fetchSubscription, apply: applySubscriptionEvent},
	"payment_intent.succeeded":        {ordered: true, fetch: fetchPaymentIntent, apply: applyPaymentIntentSucceeded},
	"payment_intent.payment_failed":   {ordered: true, fetch: fetchPaymentIntent, apply: applyPaymentIntentFailed},
	"charge.refunded":                 {prepare: listChargeRefunds, apply: applyChargeRefunded},
	"charge.refund.updated":           {prepare: fetchRefund, apply: applyRefundUpdated},
	"charge.dispute.created":          {prepare: fetchDispute, apply: applyDispute},
	"charge.dispute.updated":          {prepare: fetchDispute, apply: applyDispute},
	"charge.dispute.closed":           {prepare: fetchDispute, apply: applyDispute},
	"checkout.session.completed":      {apply: applyCheckoutCompleted},
}

// HandledEventTypes are the event types billing acts on, sorted.
func HandledEventTypes() []string {
	return []string{
		"charge.dispute.closed",
		"charge.dispute.created",
		"charge.dispute.updated",
		"charge.refund.updated",
		"charge.refunded",
		"checkout.session.completed",
		"customer.subscription.created",
		"customer.subscription.deleted",
		"customer.subscription.updated",
		"invoice.paid",
		"invoice.payment_action_required",
		"invoice.payment_failed",
		"payment_intent.payment_failed",
		"payment_intent.succeeded",
	}
}

// -------------------------------------------------------------------
// Re-fetching objects (order ties)

func fetchInvoice(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.InvoiceParams{}
	params.Context = ctx
	inv, err := s.sc.Invoices.Get(id, params)
	if err != nil {
		return nil, err
	}
	return inv.LastResponse.RawJSON, nil
}

func fetchSubscription(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.SubscriptionParams{}
	params.Context = ctx
	sub, err := s.sc.Subscriptions.Get(id, params)
	if err != nil {
		return nil, err
	}
	return sub.LastResponse.RawJSON, nil
}

func fetchPaymentIntent(ctx context.Context, s *Service, id string) (json.RawMessage, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := s.sc.PaymentIntents.Get(id, params)
	if err != nil {
		return nil, err
	}
	return pi.LastResponse.RawJSON, nil
}

// -------------------------------------------------------------------
// Lookups

// familyFor resolves the family of a Stripe object: our customer map
// first, then the metadata we put on the object.
func familyFor(app core.App, customer *stripe.Customer, metadata ...map[string]string) (string, error) {
	if customer != nil {
		if f, err := FamilyOfCustomer(app, customer.ID); err != nil || f != "" {
			return f, err
		}
	}
	for _, m := range metadata {
		if id := m[MetaFamily]; id != "" {
			if _, err := loadFamily(app, id); err == nil {
				return id, nil
			}
		}
	}
	return "", nil
}

// enrollmentFor finds the enrollment of a subscription: by our metadata,
// then by the stored subscription id. nil when none.
func enrollmentFor(app core.App, subscriptionID string, metadata map[string]string) (*core.Record, error) {
	if id := metadata[MetaEnrollment]; id != "" {
		r, err := app.FindRecordById("enrollments", id)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if subscriptionID == "" {
		return nil, nil
	}
	r, err := app.FindFirstRecordByData("enrollments", "stripe_subscription_id", subscriptionID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// recordedPayment is the payment we recorded for a PaymentIntent; an event
// about an object (what) whose PaymentIntent we never recorded is ignored.
// (paymentOfIntent also records one; refunds and disputes never should.)
func recordedPayment(app core.App, pi *stripe.PaymentIntent, what string) (*core.Record, error) {
	id := ""
	if pi != nil {
		id = pi.ID
	}
	payment, err := findPayment(app, "stripe_payment_intent_id", id)
	if err == nil && payment == nil {
		return nil, ignored("no payment for " + what)
	}
	return payment, err
}

func findPayment(app core.App, field, value string) (*core.Record, error) {
	if value == "" {
		return nil, nil
	}
	r, err := app.FindFirstRecordByData(paymentsCollection, field, value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func newPayment(app core.App, fields map[string]any) (*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(paymentsCollection)
	if err != nil {
		return nil, err
	}
	p := core.NewRecord(c)
	p.Load(fields)
	if err := app.Save(p); err != nil {
		return nil, err
	}
	return p, nil
}

// -------------------------------------------------------------------
// Subscriptions

func applySubscriptionEvent(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var sub stripe.Subscription
	if err := json.Unmarshal(raw, &sub); err != nil {
		return "", err
	}
	return applySubscription(txApp, &sub, nil)
}

// -------------------------------------------------------------------
// Invoices: tuition

type invoiceContext struct {
	inv        stripe.Invoice
	family     string
	enrollment *core.Record
}

func loadInvoice(txApp core.App, raw json.RawMessage) (*invoiceContext, error) {
	ic := &invoiceContext{}
	if err := json.Unmarshal(raw, &ic.inv); err != nil {
		return nil, err
	}
	var subID string
	meta := []map[string]string{ic.inv.Metadata}
	if ic.inv.Subscription != nil {
		subID = ic.inv.Subscription.ID
	}
	if ic.inv.SubscriptionDetails != nil {
		meta = append(meta, ic.inv.SubscriptionDetails.Metadata)
	}
	family, err := familyFor(txApp, ic.inv.Customer, meta...)
	if err != nil {
		return nil, err
	}
	if family == "" {
		return nil, ignored("no family for customer of invoice " + ic.inv.ID)
	}
	ic.family = family
	var subMeta map[string]string
	if ic.inv.SubscriptionDetails != nil {
		subMeta = ic.inv.SubscriptionDetails.Metadata
	}
	ic.enrollment, err = enrollmentFor(txApp, subID, subMeta)
	return ic, err
}

func (ic *invoiceContext) enrollmentID() string {
	if ic.enrollment == nil {
		return ""
	}
	return ic.enrollment.Id
}

func (ic *invoiceContext) pi() string {
	if ic.inv.PaymentIntent == nil {
		return ""
	}
	return ic.inv.PaymentIntent.ID
}

func (ic *invoiceContext) text() string {
	desc := "Tuition"
	if ic.inv.Lines != nil && len(ic.inv.Lines.Data) > 0 && ic.inv.Lines.Data[0].Description != "" {
		desc = "Tuition: " + ic.inv.Lines.Data[0].Description
	}
	if ic.inv.PeriodStart > 0 && ic.inv.Lines != nil && len(ic.inv.Lines.Data) > 0 && ic.inv.Lines.Data[0].Period != nil {
		p := ic.inv.Lines.Data[0].Period
		desc += fmt.Sprintf(" (%s – %s)", day(p.Start), day(p.End))
	}
	if ic.inv.Number != "" {
		desc += ", invoice " + ic.inv.Number
	}
	return desc
}

// invoicePayment returns the payment record of the invoice, creating it.
func (ic *invoiceContext) invoicePayment(txApp core.App, status string) (*core.Record, error) {
	p, err := findPayment(txApp, "stripe_invoice_id", ic.inv.ID)
	if err != nil || p != nil {
		return p, err
	}
	amount := ic.inv.AmountDue
	if amount <= 0 {
		return nil, nil
	}
	return newPayment(txApp, map[string]any{
		"family": ic.family, "enrollment": ic.enrollmentID(), "amount": amount, "currency": string(ic.inv.Currency),
		"status": status, "kind": "tuition", "method": "stripe", "description": ic.text(),
		"stripe_invoice_id": ic.inv.ID, "stripe_payment_intent_id": ic.pi(),
	})
}

// postInvoiceCharge puts what the invoice asks for into the ledger, once,
// whether we first hear of it paid or failed.
func (ic *invoiceContext) postCharge(txApp core.App, payment string) error {
	_, err := post(txApp, Entry{
		Family: ic.family, Kind: KindCharge, Amount: ic.inv.AmountDue, Currency: string(ic.inv.Currency),
		Description: ic.text(), Payment: payment, Enrollment: ic.enrollmentID(), StripeObject: ic.inv.ID,
		StripePaymentIntent: ic.pi(), SourceKey: "invoice:" + ic.inv.ID + ":charge", OccurredAt: time.Unix(ic.inv.Created, 0),
	})
	return err
}

func applyInvoicePaid(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	ic, err := loadInvoice(txApp, raw)
	if err != nil {
		return "", err
	}
	if ic.inv.AmountPaid <= 0 {
		return "nothing to pay (amount paid 0)", nil
	}
	payment, err := ic.invoicePayment(txApp, StatusPending)
	if err != nil {
		return "", err
	}
	if payment == nil {
		return "", ignored("the invoice asks for nothing (amount due 0)")
	}
	payment.Set("amount", ic.inv.AmountPaid)
	if pi := ic.pi(); pi != "" {
		payment.Set("stripe_payment_intent_id", pi)
	}
	paidAt := time.Unix(ic.inv.Created, 0)
	if ic.inv.StatusTransitions != nil && ic.inv.StatusTransitions.PaidAt > 0 {
		paidAt = time.Unix(ic.inv.StatusTransitions.PaidAt, 0)
	}
	if err := ic.postCharge(txApp, payment.Id); err != nil {
		return "", err
	}
	if err := settle(txApp, payment, settlement{
		Key: "invoice:" + ic.inv.ID, Charged: ic.inv.AmountDue, Paid: ic.inv.AmountPaid, Currency: string(ic.inv.Currency),
		Method: "stripe", StripeObject: ic.inv.ID, PI: ic.pi(), When: paidAt, ChargeText: ic.text(),
	}); err != nil {
		return "", err
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}
	// A paid invoice ends the dunning of its enrollment.
	if ic.enrollment != nil && ic.enrollment.GetString("status") == "past_due" {
		ic.enrollment.Set("status", "active")
		if err := txApp.Save(ic.enrollment); err != nil {
			return "", err
		}
	}
	return "paid " + FormatMoney(ic.inv.AmountPaid, string(ic.inv.Currency)), nil
}

// applyInvoiceFailed is the dunning path: every failed attempt tells the
// family (once per attempt) with a link to fix the payment method; Stripe
// retries on its schedule (next_payment_attempt). When no retry is left the
// enrollment goes past due and the admins are told.
func applyInvoiceFailed(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	ic, err := loadInvoice(txApp, raw)
	if err != nil {
		return "", err
	}
	payment, err := ic.invoicePayment(txApp, StatusFailed)
	if err != nil {
		return "", err
	}
	paymentID := ""
	if payment != nil {
		paymentID = payment.Id
		setStatus(payment, StatusFailed)
		payment.Set("failure_message", fmt.Sprintf("Payment attempt %d failed", ic.inv.AttemptCount))
		if pi := ic.pi(); pi != "" {
			payment.Set("stripe_payment_intent_id", pi)
		}
		if err := txApp.Save(payment); err != nil {
			return "", err
		}
	}
	if err := ic.postCharge(txApp, paymentID); err != nil {
		return "", err
	}

	cur := string(ic.inv.Currency)
	// The link fixes the card for this and future payments (the app's
	// billing page opens the Billing Portal); the invoice's own page pays
	// this one now.
	link := billingPageLink(txApp)
	final := ic.inv.NextPaymentAttempt == 0
	body := fmt.Sprintf("We could not collect %s for %s.\n\n", FormatMoney(ic.inv.AmountDue, cur), ic.text())
	if final {
		body += "This was the last automatic attempt, so the enrollment is now past due. Please update your payment method here:\n" + link
	} else {
		body += fmt.Sprintf("We will try again on %s. To avoid another failure, please update your payment method here:\n%s",
			day(ic.inv.NextPaymentAttempt), link)
	}
	if ic.inv.HostedInvoiceURL != "" {
		body += "\n\nYou can also pay this invoice now: " + ic.inv.HostedInvoiceURL
	}
	key := fmt.Sprintf("dunning:%s:%d", ic.inv.ID, ic.inv.AttemptCount)
	if err := tellFamily(txApp, ic.family, NoticePaymentFailed, key,
		"Payment failed: "+FormatMoney(ic.inv.AmountDue, cur), body, link, paymentID); err != nil {
		return "", err
	}
	if !final {
		return fmt.Sprintf("attempt %d failed; next attempt %s", ic.inv.AttemptCount, day(ic.inv.NextPaymentAttempt)), nil
	}

	if ic.enrollment != nil {
		switch ic.enrollment.GetString("status") {
		case "cancelled", "withdrawn":
		default:
			ic.enrollment.Set("status", "past_due")
			if err := txApp.Save(ic.enrollment); err != nil {
				return "", err
			}
		}
	}
	user, err := txApp.FindRecordById("users", ic.family)
	if err != nil {
		return "", err
	}
	invoiceLink := ic.inv.HostedInvoiceURL
	if invoiceLink == "" {
		invoiceLink = ic.inv.ID
	}
	adminBody := fmt.Sprintf("%s (%s) did not pay %s for %s after %d attempts. The enrollment is past due.\nInvoice: %s",
		user.GetString("name"), user.Email(), FormatMoney(ic.inv.AmountDue, cur), ic.text(), ic.inv.AttemptCount, invoiceLink)
	if err := tellAdmins(txApp, ic.family, NoticePastDue, "past_due:"+ic.inv.ID,
		"Past due: "+user.GetString("name")+" owes "+FormatMoney(ic.inv.AmountDue, cur), adminBody, ic.inv.HostedInvoiceURL); err != nil {
		return "", err
	}
	return fmt.Sprintf("final attempt %d failed: enrollment past due", ic.inv.AttemptCount), nil
}

func applyInvoiceActionRequired(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	ic, err := loadInvoice(txApp, raw)
	if err != nil {
		return "", err
	}
	payment, err := ic.invoicePayment(txApp, StatusRequiresAction)
	if err != nil {
		return "", err
	}
	paymentID := ""
	if payment != nil {
		paymentID = payment.Id
		setStatus(payment, StatusRequiresAction)
		if err := txApp.Save(payment); err != nil {
			return "", err
		}
	}
	link := ic.inv.HostedInvoiceURL
	if link == "" {
		link = billingPageLink(txApp)
	}
	cur := string(ic.inv.Currency)
	body := fmt.Sprintf("Your bank asks you to confirm the payment of %s for %s. Please confirm it here:\n%s",
		FormatMoney(ic.inv.AmountDue, cur), ic.text(), link)
	key := fmt.Sprintf("action:%s:%d", ic.inv.ID, ic.inv.AttemptCount)
	if err := tellFamily(txApp, ic.family, NoticeActionRequired, key,
		"Please confirm your payment of "+FormatMoney(ic.inv.AmountDue, cur), body, link, paymentID); err != nil {
		return "", err
	}
	return "family asked to confirm the payment", nil
}

// -------------------------------------------------------------------
// Payment intents: one-off payments

func applyPaymentIntentSucceeded(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(raw, &pi); err != nil {
		return "", err
	}
	if pi.Invoice != nil && pi.Invoice.ID != "" {
		return "", ignored("an invoice's payment: recorded by invoice.paid")
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return "", ignored("the payment intent is " + string(pi.Status) + " now")
	}
	payment, err := paymentOfIntent(txApp, &pi)
	if err != nil {
		return "", err
	}
	payment.Set("stripe_payment_intent_id", pi.ID)
	if err := settle(txApp, payment, piSettlement(&pi)); err != nil {
		return "", err
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}
	return "payment " + payment.Id + " succeeded", nil
}

// paymentOfIntent finds the payment a PaymentIntent pays, or records one
// for an intent made elsewhere (a Payment Link, the dashboard) when its
// family is known.
func paymentOfIntent(txApp core.App, pi *stripe.PaymentIntent) (*core.Record, error) {
	if p, err := findPayment(txApp, "stripe_payment_intent_id", pi.ID); err != nil || p != nil {
		return p, err
	}
	if id := pi.Metadata[MetaPayment]; id != "" {
		p, err := txApp.FindRecordById(paymentsCollection, id)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	family, err := familyFor(txApp, pi.Customer, pi.Metadata)
	if err != nil {
		return nil, err
	}
	if family == "" {
		return nil, ignored("no family for payment intent " + pi.ID)
	}
	kind := pi.Metadata["kind"]
	if !validKind(kind) {
		kind = "other"
	}
	amount := pi.AmountReceived
	if amount == 0 {
		amount = pi.Amount
	}
	return newPayment(txApp, map[string]any{
		"family": family, "amount": amount, "currency": string(pi.Currency), "status": StatusPending,
		"kind": kind, "method": "stripe", "description": pi.Description, "stripe_payment_intent_id": pi.ID,
	})
}

func validKind(kind string) bool {
	for _, k := range PaymentKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func applyPaymentIntentFailed(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(raw, &pi); err != nil {
		return "", err
	}
	if pi.Invoice != nil && pi.Invoice.ID != "" {
		return "", ignored("an invoice's payment: handled by invoice.payment_failed")
	}
	payment, err := findPayment(txApp, "stripe_payment_intent_id", pi.ID)
	if err != nil {
		return "", err
	}
	if payment == nil {
		return "", ignored("no payment for payment intent " + pi.ID)
	}
	setStatus(payment, StatusFailed)
	if pi.LastPaymentError != nil {
		payment.Set("failure_message", truncate(pi.LastPaymentError.Msg, 500))
	}
	if err := txApp.Save(payment); err != nil {
		return "", err
	}
	return "payment " + payment.Id + " is " + payment.GetString("status"), nil
}

// -------------------------------------------------------------------
// Refunds

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

// -------------------------------------------------------------------
// Checkout

func applyCheckoutCompleted(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, _ any) (string, error) {
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(raw, &cs); err != nil {
		return "", err
	}
	meta := map[string]string{}
	for k, v := range cs.Metadata {
		meta[k] = v
	}
	if meta[MetaFamily] == "" && cs.ClientReferenceID != "" {
		meta[MetaFamily] = cs.ClientReferenceID
	}
	family, err := familyFor(txApp, cs.Customer, meta)
	if err != nil {
		return "", err
	}
	if family == "" {
		return "", ignored("no family for checkout session " + cs.ID)
	}
	// A checkout may have created the family's customer.
	if cs.Customer != nil && cs.Customer.ID != "" {
		if existing, err := CustomerID(txApp, family); err != nil {
			return "", err
		} else if existing == "" {
			c, err := txApp.FindCachedCollectionByNameOrId(customersCollection)
			if err != nil {
				return "", err
			}
			r := core.NewRecord(c)
			r.Set("family", family)
			r.Set("stripe_customer_id", cs.Customer.ID)
			if err := txApp.Save(r); err != nil {
				return "", err
			}
		}
	}

	switch cs.Mode {
	case stripe.CheckoutSessionModePayment:
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || cs.PaymentIntent == nil {
			return "", ignored("checkout not paid yet (" + string(cs.PaymentStatus) + ")")
		}
		pi := stripe.PaymentIntent{
			ID: cs.PaymentIntent.ID, Amount: cs.AmountTotal, AmountReceived: cs.AmountTotal, Currency: cs.Currency,
			Customer: cs.Customer, Metadata: meta, Created: cs.Created, Status: stripe.PaymentIntentStatusSucceeded,
		}
		payment, err := paymentOfIntent(txApp, &pi)
		if err != nil {
			return "", err
		}
		payment.Set("stripe_payment_intent_id", pi.ID)
		if err := settle(txApp, payment, piSettlement(&pi)); err != nil {
			return "", err
		}
		return "checkout payment recorded", txApp.Save(payment)
	case stripe.CheckoutSessionModeSubscription:
		if cs.Subscription == nil {
			return "", ignored("subscription checkout without a subscription")
		}
		enrollment, err := enrollmentFor(txApp, cs.Subscription.ID, meta)
		if err != nil {
			return "", err
		}
		if enrollment == nil {
			return "", ignored("no enrollment for checkout session " + cs.ID)
		}
		enrollment.Set("stripe_subscription_id", cs.Subscription.ID)
		if cs.Customer != nil {
			enrollment.Set("stripe_customer_id", cs.Customer.ID)
		}
		return "subscription linked to enrollment " + enrollment.Id, txApp.Save(enrollment)
	}
	return "", ignored("checkout mode " + string(cs.Mode) + " needs nothing")
}

func day(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2 January 2006")
}
