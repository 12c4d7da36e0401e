package billing

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// event_invoices.go: the Stripe invoice events of tuition subscriptions
// (paid, failed, action required): the payment, its ledger entries and the
// family's notices.

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

// day formats a Stripe timestamp as a date a family reads.
func day(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2 January 2006")
}
