package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
)

func TestBillingCommands(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	billingExit = nil
	t.Cleanup(func() { billingExit = os.Exit })
	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newBillingCommand(app)
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return out.String(), err
	}

	// Offline: record-payment works, Stripe commands say why they cannot.
	billing.Use(app, billing.Config{})
	out, err := run("record-payment", "--family", f.ParentB.Email, "--amount", "14000", "--method", "cheque", "--reference", "cheque 0042")
	if err != nil || !strings.Contains(out, "CAD 140.00 by cheque") || !strings.Contains(out, "billing is offline") {
		t.Fatalf("record-payment: %v\n%s", err, out)
	}
	if n, _ := app.CountRecords("ledger_entries", dbx.HashExp{"family": f.ParentB.ID}); n != 2 {
		t.Errorf("%d ledger entries", n)
	}
	if _, err := run("record-payment", "--family", f.ParentB.Email, "--amount", "100", "--method", "bitcoin"); err == nil || !strings.Contains(err.Error(), "method") {
		t.Errorf("bad method: %v", err)
	}
	if _, err := run("record-payment", "--family", "nobody@example.com", "--amount", "100", "--method", "cash"); err == nil {
		t.Error("unknown email accepted")
	}
	if _, err := run("record-payment", "--amount", "100", "--method", "cash"); err == nil {
		t.Error("missing --family accepted")
	}
	if _, err := run("sync-prices"); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("sync-prices offline: %v", err)
	}
	// The fixture payments predate the ledger: reconcile lists them and
	// exits non-zero.
	out, err = run("reconcile")
	if err == nil || !strings.Contains(out, "payment_in_ledger") || !strings.Contains(out, f.PaymentA) {
		t.Errorf("reconcile offline: %v\n%s", err, out)
	}

	// Online against the stand-in.
	stub := stripestub.New(t)
	billing.Use(app, billing.Config{SecretKey: "sk_test_cli", APIBase: stub.URL})
	out, err = run("sync-prices")
	if err != nil || strings.Count(out, "created") != 2 {
		t.Fatalf("sync-prices: %v\n%s", err, out)
	}
	out, err = run("sync-prices")
	if err != nil || strings.Count(out, "unchanged") != 2 {
		t.Fatalf("sync-prices again: %v\n%s", err, out)
	}
	out, err = run("reprocess", "--received")
	if err != nil || !strings.Contains(out, "0 processed") {
		t.Errorf("reprocess: %v\n%s", err, out)
	}
	out, err = run("resync", "--since", "2026-01-01")
	// The fixture enrollment's placeholder subscription is unknown to Stripe.
	if err == nil || !strings.Contains(out, "sub_a1") {
		t.Errorf("resync: %v\n%s", err, out)
	}
	out, err = run("reconcile", "--json")
	if err == nil || !strings.Contains(out, `"check": "payment_in_ledger"`) || !strings.Contains(out, `"online": true`) {
		t.Errorf("reconcile --json: %v\n%s", err, out)
	}
	if _, err := run("resync", "--since", "last tuesday"); err == nil {
		t.Error("a bad date accepted")
	}
}
