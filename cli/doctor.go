package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"cedarheights/doctor"
)

// newDoctorCommand checks the invariants of the data dir (--dir) and lists
// every violation; the exit status is 1 when there is one (attention alone
// exits 0) and 2 when the check could not run.
func newDoctorCommand(app core.App) *cobra.Command {
	return newDoctorCommandExiting(app, func(code int) {
		_ = app.ResetBootstrapState() // close the databases cleanly
		os.Exit(code)
	})
}

// newDoctorCommandExiting is newDoctorCommand ending the process with exit:
// PocketBase's Execute drops a command's error and exits 0, so the status
// must be set here. Tests pass a recorder.
func newDoctorCommandExiting(app core.App, exit func(code int)) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check the academy's invariants (lessons, make-up credits, money, workflow runs, outbox, audit); exit status 1 on a violation",
		Long: "doctor reads the data dir and reports every broken invariant with its code and the records involved.\n" +
			"Violations make the exit status 1; findings marked attention (a lesson a later closure left behind,\n" +
			"a run whose worker stopped, a mail given up) are reported but exit 0. With STRIPE_SECRET_KEY set the\n" +
			"ledger is also compared with Stripe (billing reconcile).",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			code, err := runDoctor(app, cmd, asJSON)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "Error:", err)
			}
			if code != 0 {
				exit(code)
			}
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

// runDoctor prints the report and answers the exit status.
func runDoctor(app core.App, cmd *cobra.Command, asJSON bool) (int, error) {
	if err := app.RunAllMigrations(); err != nil {
		return 2, fmt.Errorf("migrations: %w", err)
	}
	rep, err := doctor.Check(app, doctor.Options{Context: cmd.Context()})
	if err != nil {
		return 2, err
	}
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 2, err
		}
	} else {
		w := table(out)
		fmt.Fprintln(w, "SEVERITY\tCODE\tRECORDS\tDETAIL")
		for _, f := range rep.Findings {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Severity, f.Code, strings.Join(f.IDs, " "), f.Message)
		}
		w.Flush()
		fmt.Fprintf(out, "\n%d violation(s), %d needing attention; checked %d lessons, %d make-up credits, %d ledger entries, %d workflow runs, %d outbox messages in %d ms.\n",
			rep.Violations, rep.Attention, rep.Counts["lessons"], rep.Counts["makeup_credits"], rep.Counts["ledger_entries"],
			rep.Counts["workflow_runs"], rep.Counts["outbox_messages"], rep.ElapsedMS)
	}
	if rep.Failed() {
		return 1, fmt.Errorf("%d violation(s)", rep.Violations)
	}
	return 0, nil
}
