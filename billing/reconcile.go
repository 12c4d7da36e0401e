package billing

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/stripe/stripe-go/v76"
)

// Reconciliation compares the ledger with Stripe, object by object, and
// lists every mismatch; it changes nothing (re-sync and reprocess do).
//
//   - every succeeded charge in Stripe: the ledger holds its payment (by
//     PaymentIntent) for the captured amount and its refunds for the
//     refunded amount, under a family;
//   - every ledger payment made through Stripe: Stripe has its charge;
//   - every open, paid or uncollectible invoice: the ledger holds its
//     charge for the amount due; a void one holds none;
//   - inside the database: each settled payment has its ledger payment,
//     its refund entries add up to no more than it and to its
//     amount_refunded, refunds made after a dispute took it back leave
//     refunds plus chargeback within it, and no refund hold is left
//     pending past its time (this part runs offline too).

// Mismatch is one disagreement.
type Mismatch struct {
	Family string `json:"family,omitempty"`
	Object string `json:"object"`
	Check  string `json:"check"`
	Ledger int64  `json:"ledger"`
	Stripe int64  `json:"stripe"`
	Detail string `json:"detail"`
}

// ReconcileReport is the result of Reconcile.
type ReconcileReport struct {
	Families   int           `json:"families"`
	Charges    int           `json:"charges"`
	Invoices   int           `json:"invoices"`
	Payments   int           `json:"payments"`
	Mismatches []Mismatch    `json:"mismatches"`
	Online     bool          `json:"online"`
	Elapsed    time.Duration `json:"elapsed"`
}

type ledgerPI struct {
	Family string `db:"family"`
	PI     string `db:"stripe_payment_intent"`
	Paid   int64  `db:"paid"`
	Refund int64  `db:"refunded"`
}

// Reconcile compares the ledger with Stripe (objects created since since;
// zero: all) and with the payments table.
func (s *Service) Reconcile(ctx context.Context, since time.Time) (ReconcileReport, error) {
	start := time.Now()
	rep := ReconcileReport{Mismatches: []Mismatch{}, Online: s.Online()}
	if err := s.app.DB().Select("COUNT(*)").From(customersCollection).Row(&rep.Families); err != nil {
		return rep, err
	}
	if err := s.reconcileInternal(&rep); err != nil {
		return rep, err
	}
	if s.Online() {
		if err := s.reconcileCharges(ctx, since, &rep); err != nil {
			return rep, err
		}
		if err := s.reconcileInvoices(ctx, since, &rep); err != nil {
			return rep, err
		}
	}
	sort.SliceStable(rep.Mismatches, func(i, j int) bool {
		a, b := rep.Mismatches[i], rep.Mismatches[j]
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		return a.Object < b.Object
	})
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (s *Service) reconcileInternal(rep *ReconcileReport) error {
	var rows []struct {
		ID       string `db:"id"`
		Family   string `db:"family"`
		Amount   int64  `db:"amount"`
		Refunded int64  `db:"amount_refunded"`
		Paid     int64  `db:"paid"`
		Refund   int64  `db:"refund"`
		Taken    int64  `db:"taken"`
		After    int64  `db:"refund_after"` // refunds made after the bank took the payment back
	}
	err := s.app.DB().NewQuery(`
		SELECT p.id, p.family, p.amount, COALESCE(p.amount_refunded, 0) AS amount_refunded,
		       COALESCE((SELECT -SUM(amount) FROM ledger_entries WHERE payment = p.id AND kind = 'payment'), 0) AS paid,
		       COALESCE((SELECT SUM(amount) FROM ledger_entries WHERE payment = p.id AND kind = 'refund'), 0) AS refund,
		       COALESCE((SELECT SUM(amount) FROM ledger_entries WHERE payment = p.id AND kind = 'chargeback'), 0) AS taken,
		       COALESCE((SELECT SUM(r.amount) FROM ledger_entries r WHERE r.payment = p.id AND r.kind = 'refund' AND r.amount > 0
		                 AND r.occurred_at > (SELECT MIN(c.occurred_at) FROM ledger_entries c
		                                      WHERE c.payment = p.id AND c.kind = 'chargeback' AND c.amount > 0)), 0) AS refund_after
		FROM payments p
		WHERE p.status IN ('succeeded', 'refunded', 'partially_refunded', 'disputed')`).All(&rows)
	if err != nil {
		return err
	}
	rep.Payments = len(rows)
	for _, r := range rows {
		if r.Paid != r.Amount {
			rep.add(Mismatch{Family: r.Family, Object: "payment " + r.ID, Check: "payment_in_ledger", Ledger: r.Paid, Stripe: r.Amount,
				Detail: fmt.Sprintf("the payment record says %d paid, its ledger payment entries %d", r.Amount, r.Paid)})
		}
		if r.Refund > r.Amount {
			rep.add(Mismatch{Family: r.Family, Object: "payment " + r.ID, Check: "refunds_exceed_payment", Ledger: r.Refund, Stripe: r.Amount,
				Detail: fmt.Sprintf("the ledger's refunds add up to %d, more than the %d paid", r.Refund, r.Amount)})
		}
		// A bank that took the payment back in a dispute leaves only the
		// rest to refund: a refund made after it pays out money twice. A
		// bank may also dispute the full amount of a payment refunded in
		// part before (Stripe's times of the refund and of the dispute
		// tell which came first): that is the bank's to correct, on the
		// refund as evidence, not a refund anyone should have refused.
		if r.Taken > 0 && r.Refund+r.Taken > r.Amount {
			if r.After > 0 {
				rep.add(Mismatch{Family: r.Family, Object: "payment " + r.ID, Check: "refunds_and_chargebacks_exceed_payment", Ledger: r.Refund + r.Taken, Stripe: r.Amount,
					Detail: fmt.Sprintf("refunds of %d (%d of them made after the dispute) and %d taken back by the bank add up to more than the %d paid", r.Refund, r.After, r.Taken, r.Amount)})
			} else {
				rep.add(Mismatch{Family: r.Family, Object: "payment " + r.ID, Check: "dispute_exceeds_unrefunded", Ledger: r.Refund + r.Taken, Stripe: r.Amount,
					Detail: fmt.Sprintf("the bank took back %d in a dispute after %d had been refunded, more than the %d left of the %d paid; submit the refund as evidence in the Stripe dashboard (the bank corrects the disputed amount)", r.Taken, r.Refund, r.Amount-r.Refund, r.Amount)})
			}
		}
		if r.Refund != r.Refunded {
			rep.add(Mismatch{Family: r.Family, Object: "payment " + r.ID, Check: "refunds_in_ledger", Ledger: r.Refund, Stripe: r.Refunded,
				Detail: fmt.Sprintf("amount_refunded is %d, the ledger's refund entries %d", r.Refunded, r.Refund)})
		}
	}

	holds, err := expiredHolds(s.app, "", time.Now())
	if err != nil {
		return err
	}
	for _, h := range holds {
		family := ""
		if p, err := s.app.FindRecordById(paymentsCollection, h.Payment); err == nil {
			family = p.GetString("family")
		}
		rep.add(Mismatch{Family: family, Object: "refund hold " + h.ID, Check: "refund_hold_expired", Ledger: h.Amount,
			Detail: fmt.Sprintf("a card refund of %d on payment %s still waits for Stripe's answer (its hold expired at %s); `billing resync` (or the next refund of the payment) settles or releases it",
				h.Amount, h.Payment, h.Expires.String())})
	}
	return nil
}

func (s *Service) reconcileCharges(ctx context.Context, since time.Time, rep *ReconcileReport) error {
	var ledgerRows []ledgerPI
	err := s.app.DB().NewQuery(`
		SELECT family, stripe_payment_intent,
		       COALESCE(-SUM(CASE WHEN kind = 'payment' THEN amount END), 0) AS paid,
		       COALESCE(SUM(CASE WHEN kind = 'refund' THEN amount END), 0) AS refunded
		FROM ledger_entries
		WHERE stripe_payment_intent != ''
		GROUP BY family, stripe_payment_intent`).All(&ledgerRows)
	if err != nil {
		return err
	}
	ledger := make(map[string]ledgerPI, len(ledgerRows))
	for _, r := range ledgerRows {
		ledger[r.PI] = r
	}
	families, err := s.customerFamilies()
	if err != nil {
		return err
	}

	params := &stripe.ChargeListParams{}
	params.Context = ctx
	params.Limit = stripe.Int64(100)
	if !since.IsZero() {
		params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
	}
	seen := map[string]bool{}
	iter := s.sc.Charges.List(params)
	for iter.Next() {
		ch := iter.Charge()
		if ch.Status != stripe.ChargeStatusSucceeded || !ch.Captured {
			continue
		}
		rep.Charges++
		key := ch.ID
		if ch.PaymentIntent != nil && ch.PaymentIntent.ID != "" {
			key = ch.PaymentIntent.ID
		}
		seen[key] = true
		family := ""
		if ch.Customer != nil {
			family = families[ch.Customer.ID]
		}
		if family == "" {
			family = ch.Metadata[MetaFamily]
		}
		l, ok := ledger[key]
		cur := string(ch.Currency)
		switch {
		case family == "" && !ok:
			rep.add(Mismatch{Object: ch.ID, Check: "charge_family", Stripe: ch.AmountCaptured,
				Detail: "a charge of " + FormatMoney(ch.AmountCaptured, cur) + " belongs to no family we know"})
			continue
		case !ok:
			rep.add(Mismatch{Family: family, Object: key, Check: "charge_in_ledger", Stripe: ch.AmountCaptured,
				Detail: "Stripe charged " + FormatMoney(ch.AmountCaptured, cur) + "; the ledger has no payment for it"})
			continue
		}
		if l.Paid != ch.AmountCaptured {
			rep.add(Mismatch{Family: l.Family, Object: key, Check: "payment_amount", Ledger: l.Paid, Stripe: ch.AmountCaptured,
				Detail: fmt.Sprintf("the ledger has %s paid, Stripe %s", FormatMoney(l.Paid, cur), FormatMoney(ch.AmountCaptured, cur))})
		}
		if l.Refund != ch.AmountRefunded {
			rep.add(Mismatch{Family: l.Family, Object: key, Check: "refund_amount", Ledger: l.Refund, Stripe: ch.AmountRefunded,
				Detail: fmt.Sprintf("the ledger has %s refunded, Stripe %s", FormatMoney(l.Refund, cur), FormatMoney(ch.AmountRefunded, cur))})
		}
		if family != "" && l.Family != family {
			rep.add(Mismatch{Family: l.Family, Object: key, Check: "payment_family",
				Detail: "the ledger books it to family " + l.Family + ", Stripe's customer is family " + family})
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("list Stripe charges: %w", err)
	}
	// Only a full pass can say the ledger has a payment Stripe lacks.
	for pi, l := range ledger {
		if since.IsZero() && !seen[pi] && l.Paid != 0 {
			rep.add(Mismatch{Family: l.Family, Object: pi, Check: "payment_in_stripe", Ledger: l.Paid,
				Detail: "the ledger has a card payment Stripe does not have as a succeeded charge"})
		}
	}
	return nil
}

func (s *Service) reconcileInvoices(ctx context.Context, since time.Time, rep *ReconcileReport) error {
	var rows []struct {
		Key    string `db:"source_key"`
		Family string `db:"family"`
		Amount int64  `db:"amount"`
	}
	err := s.app.DB().Select("source_key", "family", "amount").From(ledgerCollection).
		Where(dbx.And(dbx.Like("source_key", "invoice:").Match(false, true), dbx.Like("source_key", ":charge").Match(true, false))).
		All(&rows)
	if err != nil {
		return err
	}
	charged := make(map[string]int64, len(rows))
	owners := make(map[string]string, len(rows))
	for _, r := range rows {
		id := strings.TrimSuffix(strings.TrimPrefix(r.Key, "invoice:"), ":charge")
		charged[id] = r.Amount
		owners[id] = r.Family
	}
	families, err := s.customerFamilies()
	if err != nil {
		return err
	}
	params := &stripe.InvoiceListParams{}
	params.Context = ctx
	params.Limit = stripe.Int64(100)
	if !since.IsZero() {
		params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
	}
	iter := s.sc.Invoices.List(params)
	for iter.Next() {
		inv := iter.Invoice()
		family := ""
		if inv.Customer != nil {
			family = families[inv.Customer.ID]
		}
		if family == "" {
			continue // not one of ours
		}
		rep.Invoices++
		got, ok := charged[inv.ID]
		cur := string(inv.Currency)
		switch inv.Status {
		case stripe.InvoiceStatusOpen, stripe.InvoiceStatusPaid, stripe.InvoiceStatusUncollectible:
			if inv.AmountDue == 0 {
				continue
			}
			if inv.Status == stripe.InvoiceStatusOpen && !inv.Attempted {
				continue // not yet due: the ledger charges it when Stripe first asks for payment
			}
			if !ok {
				rep.add(Mismatch{Family: family, Object: inv.ID, Check: "invoice_charge", Stripe: inv.AmountDue,
					Detail: fmt.Sprintf("the %s invoice asks %s; the ledger has no charge for it", inv.Status, FormatMoney(inv.AmountDue, cur))})
			} else if got != inv.AmountDue {
				rep.add(Mismatch{Family: family, Object: inv.ID, Check: "invoice_amount", Ledger: got, Stripe: inv.AmountDue,
					Detail: fmt.Sprintf("the ledger charges %s, the invoice asks %s", FormatMoney(got, cur), FormatMoney(inv.AmountDue, cur))})
			}
		case stripe.InvoiceStatusVoid:
			if ok {
				rep.add(Mismatch{Family: owners[inv.ID], Object: inv.ID, Check: "void_invoice", Ledger: got,
					Detail: "the invoice is void in Stripe; the ledger still charges " + FormatMoney(got, cur)})
			}
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("list Stripe invoices: %w", err)
	}
	return nil
}

func (s *Service) customerFamilies() (map[string]string, error) {
	var rows []struct {
		Family   string `db:"family"`
		Customer string `db:"stripe_customer_id"`
	}
	if err := s.app.DB().Select("family", "stripe_customer_id").From(customersCollection).All(&rows); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Customer] = r.Family
	}
	return out, nil
}

func (r *ReconcileReport) add(m Mismatch) { r.Mismatches = append(r.Mismatches, m) }
