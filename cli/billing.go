package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"cedarheights/billing"
)

// newBillingCommand groups the billing operations an admin runs by hand or
// from cron: price sync, recovery after missed or failed webhooks,
// reconciliation with Stripe, and payments received offline. Every
// subcommand applies the app's migrations first (a fresh data dir has no
// billing collections until serve would have applied them).
func newBillingCommand(app core.App) *cobra.Command {
	root := &cobra.Command{
		Use:   "billing",
		Short: "Stripe prices, webhook recovery, reconciliation and offline payments",
		Long: "Billing reads STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE like the server does.\n" +
			"Without a key billing is offline: only record-payment and reconcile (database checks) work.",
	}
	prepare := func(cmd *cobra.Command, _ []string) error {
		if err := app.RunAllMigrations(); err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		svc := billing.From(app)
		if err := svc.ConfigError(); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "billing is %s\n", svc.Mode())
		return nil
	}
	for _, c := range []*cobra.Command{
		syncPricesCommand(app), reprocessCommand(app), resyncCommand(app),
		reconcileCommand(app), recordPaymentCommand(app),
	} {
		c.PreRunE = prepare
		c.SilenceUsage = true
		c.Args = cobra.NoArgs
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			if err != nil && billingExit != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "Error:", err)
				_ = app.ResetBootstrapState() // close the databases cleanly
				billingExit(1)
			}
			return err
		}
		root.AddCommand(c)
	}
	return root
}

// billingExit ends the process with a failure status: PocketBase's Execute
// drops a command's error and exits 0, and cron needs to see a failed
// reconcile or sync. Tests set it to nil.
var billingExit = os.Exit

func syncPricesCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "sync-prices",
		Short: "Create or update a Stripe product and price per active pricing plan (idempotent; a changed amount makes a new price, the old one stays for existing subscriptions)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := billing.From(app).SyncPrices(cmd.Context())
			w := table(cmd.OutOrStdout())
			fmt.Fprintln(w, "PLAN\tNAME\tACTION\tPRICE\tNOTE")
			for _, r := range res {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Plan, r.Name, r.Action, r.PriceID, r.Note)
			}
			w.Flush()
			return err
		},
	}
}

func reprocessCommand(app core.App) *cobra.Command {
	var received bool
	c := &cobra.Command{
		Use:   "reprocess",
		Short: "Retry the stored Stripe events whose processing failed (--received: and those never processed)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := billing.From(app).Reprocess(cmd.Context(), received)
			if err != nil {
				return err
			}
			return printRun(cmd.OutOrStdout(), rep)
		},
	}
	c.Flags().BoolVar(&received, "received", false, "also process events stored but never processed")
	return c
}

func resyncCommand(app core.App) *cobra.Command {
	var since string
	c := &cobra.Command{
		Use:   "resync",
		Short: "Catch up with Stripe after missed webhooks: fetch and process missing events, re-read subscriptions, re-send unsynced customer emails, settle or release expired refund holds",
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since)
			if err != nil {
				return err
			}
			rep, err := billing.From(app).Resync(cmd.Context(), from)
			if err != nil {
				return err
			}
			return printRun(cmd.OutOrStdout(), rep)
		},
	}
	c.Flags().StringVar(&since, "since", "", "list events created since this date (2026-01-31 or RFC 3339); default: an hour before the newest stored event")
	return c
}

func reconcileCommand(app core.App) *cobra.Command {
	var since string
	var asJSON bool
	c := &cobra.Command{
		Use:   "reconcile",
		Short: "Compare the ledger with Stripe and with the payments; list every mismatch (exit status 1 when there is one)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since)
			if err != nil {
				return err
			}
			rep, err := billing.From(app).Reconcile(cmd.Context(), from)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				scope := "the database only (offline)"
				if rep.Online {
					scope = fmt.Sprintf("Stripe: %d charges, %d invoices", rep.Charges, rep.Invoices)
				}
				fmt.Fprintf(out, "Compared %d families, %d settled payments and %s in %s.\n",
					rep.Families, rep.Payments, scope, rep.Elapsed.Round(time.Millisecond))
				if len(rep.Mismatches) > 0 {
					w := table(out)
					fmt.Fprintln(w, "FAMILY\tOBJECT\tCHECK\tDETAIL")
					for _, m := range rep.Mismatches {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Family, m.Object, m.Check, m.Detail)
					}
					w.Flush()
				}
			}
			if n := len(rep.Mismatches); n > 0 {
				return fmt.Errorf("%d mismatch(es)", n)
			}
			fmt.Fprintln(out, "No mismatches.")
			return nil
		},
	}
	c.Flags().StringVar(&since, "since", "", "compare Stripe objects created since this date (default: all)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

func recordPaymentCommand(app core.App) *cobra.Command {
	var in billing.OfflinePayment
	var family, received string
	c := &cobra.Command{
		Use:   "record-payment",
		Short: "Record a cash, cheque or transfer payment: the payment, its ledger entries and the receipt",
		Example: "  cedarheights billing record-payment --family parent@example.com --amount 14000 --kind tuition \\\n" +
			"      --method cheque --reference 'cheque 0042' --description 'October tuition'",
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := resolveFamily(app, family)
			if err != nil {
				return err
			}
			in.Family = id
			if received != "" {
				if in.ReceivedAt, err = parseSince(received); err != nil {
					return err
				}
			}
			p, err := billing.RecordPayment(app, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Recorded payment %s: %s by %s for family %s; receipt recorded.\n",
				p.Id, billing.FormatMoney(int64(p.GetInt("amount")), p.GetString("currency")), p.GetString("method"), id)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&family, "family", "", "the parent's account id or email (required)")
	f.Int64Var(&in.Amount, "amount", 0, "amount in minor units, e.g. 14000 for 140.00 (required)")
	f.StringVar(&in.Currency, "currency", "", "ISO 4217 code, lower case (default: the academy's)")
	f.StringVar(&in.Kind, "kind", "tuition", "tuition, registration, materials, lesson_package or other")
	f.StringVar(&in.Method, "method", "", "cash, cheque or transfer (required)")
	f.StringVar(&in.Description, "description", "", "what was paid for")
	f.StringVar(&in.Reference, "reference", "", "cheque number or transfer reference")
	f.StringVar(&in.Enrollment, "enrollment", "", "the enrollment paid for (optional)")
	f.StringVar(&received, "received-at", "", "when it was received (default: now)")
	for _, name := range []string{"family", "amount", "method"} {
		_ = c.MarkFlagRequired(name)
	}
	return c
}

func resolveFamily(app core.App, v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "@") {
		r, err := app.FindAuthRecordByEmail("users", v)
		if err != nil {
			return "", fmt.Errorf("no account with email %s", v)
		}
		return r.Id, nil
	}
	if v == "" {
		return "", errors.New("--family is required")
	}
	return v, nil
}

func parseSince(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read the date %q (use 2026-01-31 or RFC 3339)", v)
}

func printRun(out io.Writer, rep billing.RunReport) error {
	fmt.Fprintf(out, "events: %d listed, %d stored, %d processed, %d failed; subscriptions re-read: %d; customers re-synced: %d; expired refund holds resolved: %d\n",
		rep.EventsListed, rep.EventsStored, rep.EventsProcessed, rep.EventsFailed, rep.Subscriptions, rep.Customers, rep.RefundHolds)
	for _, e := range rep.Errors {
		fmt.Fprintln(out, "  error:", e)
	}
	if n := len(rep.Errors); n > 0 {
		return fmt.Errorf("%d error(s)", n)
	}
	return nil
}

func table(out io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
}
