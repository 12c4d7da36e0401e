package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/internal/testapp"
)

// Offline (no key): every Stripe call says so, payments received by hand
// go into the same ledger with the same receipts, refunds too.
func TestOfflineBilling(t *testing.T) {
	t.Parallel()
	app, f := newApp(t)
	svc := billing.Use(app, billing.Config{})
	ctx := context.Background()
	if svc.Mode() != billing.Offline || svc.WebhooksEnabled() {
		t.Fatalf("mode %s", svc.Mode())
	}

	calls := map[string]func() error{
		"customer":    func() error { _, err := svc.EnsureCustomer(ctx, f.ParentA.ID); return err },
		"prices":      func() error { _, err := svc.SyncPrices(ctx); return err },
		"subscribe":   func() error { _, err := svc.Subscribe(ctx, f.EnrollmentB1, billing.SubscribeOptions{}); return err },
		"pause":       func() error { _, err := svc.Pause(ctx, f.EnrollmentA1); return err },
		"setupintent": func() error { _, err := svc.SetupIntent(ctx, f.ParentA.ID); return err },
		"portal":      func() error { _, err := svc.PortalSession(ctx, f.ParentA.ID, ""); return err },
		"enrollment payment": func() error {
			enr, err := app.FindRecordById("enrollments", f.EnrollmentA1)
			if err != nil {
				return err
			}
			enr.Set("stripe_status", "incomplete") // waiting for the family: Stripe would be asked
			_, err = svc.EnrollmentPayment(ctx, enr)
			return err
		},
		"resync": func() error { _, err := svc.Resync(ctx, time.Time{}); return err },
		"card payment": func() error {
			_, err := svc.ProcessPayment(ctx, cardPayment(f.ParentA.ID, "offline-key-0001", "pm_card_visa", 5000))
			return err
		},
		"webhook": func() error { _, err := svc.Ingest([]byte(`{}`), "t=1,v1=x"); return err },
	}
	for name, call := range calls {
		err := call()
		if name == "webhook" {
			if !errors.Is(err, billing.ErrWebhooksDisabled) {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, billing.ErrOffline) {
			t.Errorf("%s: %v, want ErrOffline", name, err)
		}
	}
	if n, _ := app.CountRecords("payments", dbx.HashExp{"idempotency_key": "offline-key-0001"}); n != 0 {
		t.Errorf("an offline card payment left a record")
	}

	p, err := billing.RecordPayment(app, billing.OfflinePayment{
		Family: f.ParentB.ID, Enrollment: f.EnrollmentB1, Amount: 14000, Kind: "tuition", Method: "cheque",
		Description: "October tuition", Reference: "cheque 0042",
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetString("status") != billing.StatusSucceeded || p.GetString("currency") != "cad" {
		t.Fatalf("payment %v", p.FieldsData())
	}
	lines, err := billing.Statement(app, f.ParentB.ID)
	if err != nil || len(lines) != 2 || lines[0].Kind != billing.KindCharge || lines[1].Kind != billing.KindPayment || lines[1].Running != 0 {
		t.Fatalf("statement %+v %v", lines, err)
	}
	receipt, err := app.FindFirstRecordByData("billing_notices", "source_key", "receipt:"+p.Id)
	if err != nil || !strings.Contains(receipt.GetString("body"), "CAD 140.00") || !strings.Contains(receipt.GetString("body"), "cheque 0042") {
		t.Fatalf("receipt %v %v", receipt, err)
	}

	// Refund part in cash: recorded only, the ledger still balances.
	if _, err := svc.Refund(ctx, billing.RefundRequest{Payment: p.Id, Amount: 4000}); err != nil {
		t.Fatal(err)
	}
	if got := testapp.Record(t, app, "payments", p.Id); got.GetString("status") != billing.StatusPartiallyRefunded || got.GetInt("amount_refunded") != 4000 {
		t.Errorf("after refund %v", got.FieldsData())
	}
	if b, _ := billing.Balances(app, f.ParentB.ID); len(b) != 1 || b[0].Amount != 0 {
		t.Errorf("balance %+v", b)
	}

	// Bad input names the field.
	_, err = billing.RecordPayment(app, billing.OfflinePayment{Family: f.ParentB.ID, Amount: -5, Kind: "bribe", Method: "stripe", Enrollment: f.EnrollmentA1})
	for _, field := range []string{"amount", "kind", "method"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
	_, err = billing.RecordPayment(app, billing.OfflinePayment{Family: f.ParentB.ID, Amount: 100, Kind: "other", Method: "cash", Enrollment: f.EnrollmentA1})
	if err == nil || !strings.Contains(err.Error(), "enrollment") {
		t.Errorf("another family's enrollment: %v", err)
	}
	_, err = billing.RecordPayment(app, billing.OfflinePayment{Family: f.TeacherXUser.ID, Amount: 100, Kind: "other", Method: "cash"})
	if err == nil || !strings.Contains(err.Error(), "family") {
		t.Errorf("a teacher as family: %v", err)
	}

	// The preview works from the plans.
	preview, err := svc.Preview(ctx, f.ParentB.ID)
	if err != nil || preview.Source != "offline" || len(preview.Lines) != 1 || preview.Lines[0].Amount != 14000 {
		t.Fatalf("preview %+v %v", preview, err)
	}
	if !strings.Contains(preview.Lines[0].Explanation, "Ben Brown with Yara Young") {
		t.Errorf("explanation %q", preview.Lines[0].Explanation)
	}
	// Reconcile checks the database against itself.
	report, err := svc.Reconcile(ctx, time.Time{})
	if err != nil || report.Online {
		t.Fatalf("reconcile %+v %v", report, err)
	}
	for _, m := range report.Mismatches {
		if m.Object == "payment "+p.Id {
			t.Errorf("recorded payment mismatched: %+v", m)
		}
	}
}

// Entries are immutable for everyone, superusers and raw SQL included.
func TestLedgerEntriesAreImmutable(t *testing.T) {
	t.Parallel()
	app, f := newApp(t)
	p, err := billing.RecordPayment(app, billing.OfflinePayment{Family: f.ParentA.ID, Amount: 2500, Kind: "materials", Method: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := app.FindFirstRecordByData("ledger_entries", "payment", p.Id)
	if err != nil {
		t.Fatal(err)
	}
	entry.Set("amount", 1)
	if err := app.Save(entry); err == nil {
		t.Error("an entry was updated")
	}
	if err := app.Delete(entry); err == nil {
		t.Error("an entry was deleted")
	}
	if _, err := app.DB().NewQuery("UPDATE ledger_entries SET amount = 1").Execute(); err == nil {
		t.Error("raw SQL updated the ledger")
	}
	if _, err := app.DB().NewQuery("DELETE FROM ledger_entries").Execute(); err == nil {
		t.Error("raw SQL deleted the ledger")
	}
	if n, _ := app.CountRecords("ledger_entries", dbx.HashExp{"payment": p.Id}); n != 2 {
		t.Errorf("%d entries left", n)
	}
	// Every entry is in the audit log.
	if n, _ := app.CountRecords("audit_logs", dbx.HashExp{"collection": "ledger_entries", "action": "create"}); n != 2 {
		t.Errorf("%d audit entries for the ledger", n)
	}
}
