package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
)

// demo_money.go: payments recorded by the office, through billing's own
// RecordPayment and Refund, so every payment has its charge and payment
// entries in the family ledger, a receipt, and (for the refund) its refund
// and credit entries, exactly as the admin routes write them.

func (l *demoLoader) payments() error {
	started := time.Now()
	var existing []struct {
		ID        string `db:"id"`
		Reference string `db:"reference"`
	}
	err := l.app.DB().Select("id", "reference").From("payments").
		Where(dbx.Like("reference", "DEMO-").Match(false, true)).All(&existing)
	if err != nil {
		return fmt.Errorf("read payments: %w", err)
	}
	ids := map[string]string{}
	for _, p := range existing {
		ids[p.Reference] = p.ID
	}
	ledgerBefore, _ := l.app.CountRecords("ledger_entries")
	created, refunds := 0, 0
	for _, p := range l.plan.demoPayments() {
		id, done := ids[p.Reference]
		if !done {
			received := p.Received
			if now := time.Now(); received.After(now) {
				received = now // the term has not begun: paid in advance, today
			}
			in := billing.OfflinePayment{
				Family: l.userIds[l.plan.Families[p.Family].Email], Amount: int64(p.Amount), Kind: p.Kind,
				Method: p.Method, Reference: p.Reference, ReceivedAt: received,
			}
			if p.Student >= 0 {
				s := l.plan.Students[p.Student]
				in.Enrollment = l.enrollmentOf(s)
				in.Description = s.First + "'s " + s.Plan
			}
			rec, err := billing.RecordPayment(l.app, in)
			if err != nil {
				return fmt.Errorf("payment %s: %w%s", p.Reference, err, errorDetail(err))
			}
			id = rec.Id
			created++
		}
		if p.Refund == 0 {
			continue
		}
		refunded, err := l.app.CountRecords("ledger_entries", dbx.HashExp{"payment": id, "kind": billing.KindRefund})
		if err != nil {
			return err
		}
		if refunded > 0 {
			continue
		}
		_, err = billing.From(l.app).Refund(context.Background(), billing.RefundRequest{
			Payment: id, Amount: int64(p.Refund), Reason: "requested_by_customer", IdempotencyKey: "demo-refund-" + p.Reference,
		})
		if err != nil {
			return fmt.Errorf("refund of %s: %w%s", p.Reference, err, errorDetail(err))
		}
		refunds++
	}
	ledgerAfter, _ := l.app.CountRecords("ledger_entries")
	l.result.Created["payments"] += created
	l.result.Existing["payments"] += len(l.plan.demoPayments()) - created
	l.result.Created["ledger_entries"] += int(ledgerAfter - ledgerBefore)
	fmt.Fprintf(l.out, "  %-13s %7d created %7d existing  %7s  (total %s; %d ledger entries, %d refund)\n",
		"payments", created, len(l.plan.demoPayments())-created, time.Since(started).Round(time.Millisecond), l.since(),
		ledgerAfter-ledgerBefore, refunds)
	return nil
}
