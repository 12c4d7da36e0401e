package doctor

import (
	"fmt"
	"strings"
	"time"

	"cedarheights/billing"
)

// money.go: the ledger's invariants.
//
// billing.Reconcile already compares every settled payment with its
// ledger entries (payment_in_ledger), refunds with their payment
// (refunds_exceed_payment, refunds_in_ledger), refunds with a chargeback
// (refunds_and_chargebacks_exceed_payment, dispute_exceeds_unrefunded),
// expired refund holds and, with a Stripe key, the ledger with Stripe to
// the cent; its mismatches are reported here as money_<check> and not
// computed twice. The checks in reconcileAttention are attention; every
// other mismatch is a violation.
//
// What reconciliation does not look at:
//   - a settled payment has its payment entry exactly once (two entries of
//     half the amount each would add up);
//   - an entry tied to a payment is booked to that payment's family;
//   - payments lower the balance and refunds raise it (the sign);
//   - the balance: billing never stores it (billing.Balances sums the
//     entries), so what can break is an entry that is not as billing wrote
//     it. Each entry must match the amount, family and currency of its
//     audit log create entry (a missing create entry is audit.go's).

// reconcileAttention are the reconciliation checks that wait for a
// process rather than show a wrong ledger: an expired refund hold (billing
// resync), a bank's dispute of more than a refund left (the admins answer
// it with the refund).
var reconcileAttention = map[string]bool{"refund_hold_expired": true, "dispute_exceeds_unrefunded": true}

func checkMoney(c *checker) error {
	rep, err := billing.From(c.app).Reconcile(c.ctx, time.Time{})
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	c.report.Counts["settled_payments"] = rep.Payments
	if rep.Online {
		c.report.Counts["stripe_charges"] = rep.Charges
		c.report.Counts["stripe_invoices"] = rep.Invoices
	}
	for _, m := range rep.Mismatches {
		ids := []string{reconciledObject(m.Object)}
		if m.Family != "" {
			ids = append(ids, ref("users", m.Family))
		}
		sev := Violation
		if reconcileAttention[m.Check] {
			sev = Attention
		}
		c.add("money_"+m.Check, sev, upperFirst(m.Object)+": "+m.Detail+".", ids...)
	}

	var dup []struct {
		Payment string `db:"payment"`
		N       int    `db:"n"`
	}
	if err := c.app.DB().NewQuery(`
		SELECT l.payment, COUNT(*) AS n FROM ledger_entries l JOIN payments p ON p.id = l.payment
		WHERE l.kind = 'payment' AND p.status IN ('succeeded', 'refunded', 'partially_refunded', 'disputed')
		GROUP BY l.payment HAVING COUNT(*) > 1`).All(&dup); err != nil {
		return err
	}
	for _, d := range dup {
		c.violation("money_payment_entry_duplicated", fmt.Sprintf("Payment %s has %d payment entries in the ledger; it must have exactly one.", d.Payment, d.N), ref("payments", d.Payment))
	}

	var wrong []struct {
		Entry   string `db:"entry"`
		Payment string `db:"payment"`
		Booked  string `db:"booked"`
		Owner   string `db:"owner"`
	}
	if err := c.app.DB().NewQuery(`
		SELECT l.id AS entry, l.payment, l.family AS booked, p.family AS owner
		FROM ledger_entries l JOIN payments p ON p.id = l.payment
		WHERE l.payment != '' AND l.family != p.family`).All(&wrong); err != nil {
		return err
	}
	for _, w := range wrong {
		c.violation("money_entry_wrong_family", fmt.Sprintf("Ledger entry %s of payment %s is booked to family %s; the payment is family %s's.", w.Entry, w.Payment, w.Booked, w.Owner),
			ref("ledger_entries", w.Entry), ref("payments", w.Payment), ref("users", w.Booked), ref("users", w.Owner))
	}

	var signs []struct {
		ID     string `db:"id"`
		Kind   string `db:"kind"`
		Amount int64  `db:"amount"`
	}
	if err := c.app.DB().NewQuery(`SELECT id, kind, amount FROM ledger_entries
		WHERE (kind = 'payment' AND amount >= 0) OR (kind = 'refund' AND amount <= 0)`).All(&signs); err != nil {
		return err
	}
	for _, s := range signs {
		c.violation("money_entry_sign", fmt.Sprintf("Ledger entry %s is a %s of %d: payments are negative (they lower what the family owes), refunds positive.", s.ID, s.Kind, s.Amount), ref("ledger_entries", s.ID))
	}

	var altered []struct {
		ID      string `db:"id"`
		Family  string `db:"family"`
		Amount  int64  `db:"amount"`
		Logged  string `db:"logged"`
		Written string `db:"written_family"`
	}
	if err := c.app.DB().NewQuery(`
		SELECT l.id, l.family, l.amount, COALESCE(json_extract(a.changes, '$.amount.after'), '') AS logged,
		       COALESCE(json_extract(a.changes, '$.family.after'), '') AS written_family
		FROM ledger_entries l JOIN audit_logs a INDEXED BY idx_audit_logs_record ON a.collection = 'ledger_entries' AND a.record = l.id AND a.action = 'create'
		WHERE json_extract(a.changes, '$.amount.after') IS NOT l.amount
		   OR json_extract(a.changes, '$.family.after') IS NOT l.family
		   OR json_extract(a.changes, '$.currency.after') IS NOT l.currency`).All(&altered); err != nil {
		return err
	}
	for _, a := range altered {
		c.violation("money_ledger_entry_altered", fmt.Sprintf("Ledger entry %s holds %d for family %s, but was written as %s for family %s (its audit entry): the family's balance is not the sum billing posted.", a.ID, a.Amount, a.Family, a.Logged, a.Written),
			ref("ledger_entries", a.ID), ref("users", a.Family))
	}
	var entries int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM ledger_entries").Row(&entries); err != nil {
		return err
	}
	c.report.Counts["ledger_entries"] = entries
	return nil
}

// reconciledObject names a reconciliation's object like the other
// findings' ids ("payment x" → "payments:x"); Stripe objects keep their id.
func reconciledObject(object string) string {
	for prefix, collection := range map[string]string{"payment ": "payments", "refund hold ": "refund_holds"} {
		if id, ok := strings.CutPrefix(object, prefix); ok {
			return ref(collection, id)
		}
	}
	return "stripe:" + object
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
