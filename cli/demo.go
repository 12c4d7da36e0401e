package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"cedarheights/workflows"
)

// newDemoCommand loads a realistic academy into the data dir: an admin,
// teachers with weekly availability, families, students, pricing plans,
// closures, enrollments and a term of weekly lessons, then some of the
// academy's life: enrollments in every state made by the enrollment
// workflow, payments in the ledger, make-up credits and runs of each
// workflow. It is idempotent.
func newDemoCommand(app core.App) *cobra.Command {
	var size string
	command := &cobra.Command{
		Use:   "demo",
		Short: "Load a demo academy (idempotent; --size bench for benchmark data)",
		Example: "  cedarheights demo\n" +
			"  cedarheights demo --size bench --dir /tmp/bench_data",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(command *cobra.Command, args []string) error {
			err := runDemo(app, command, size)
			if err != nil {
				fmt.Fprintln(command.ErrOrStderr(), "Error:", err)
				demoExit(app, 1)
			}
			return err
		},
	}
	command.Flags().StringVar(&size, "size", "demo", "how much data: "+strings.Join(sizeNames(), " or ")+
		" (bench: 5,000 students, 50 teachers, a school year of lessons)")
	return command
}

// demoExit ends the process with a failure status: PocketBase's Execute
// drops a command's error and exits 0, and the benchmark and scripts must
// see a failed load. Tests replace it.
var demoExit = func(app core.App, code int) {
	_ = app.ResetBootstrapState() // close the databases cleanly
	os.Exit(code)
}

// runDemo applies the migrations and loads the chosen size.
func runDemo(app core.App, command *cobra.Command, size string) error {
	chosen, ok := demoSizes[size]
	if !ok {
		return fmt.Errorf("unknown --size %q (want one of %s)", size, strings.Join(sizeNames(), ", "))
	}
	// Bootstrap runs only PocketBase's system migrations; serve applies the
	// app's. Apply them here too, or a fresh data dir has no collections.
	if err := app.RunAllMigrations(); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	out := command.OutOrStdout()
	if eng := workflows.EngineOf(app); eng != nil {
		defer eng.Stop() // loadDemo started it for the demo's runs
	}
	plan, result, err := loadDemo(app, chosen, time.Now(), out)
	if err != nil {
		return err
	}
	created := 0
	for _, n := range result.Created {
		created += n
	}
	fmt.Fprintf(out, "\nDone in %s: %d records created (0 means the demo was already loaded).\n",
		result.Elapsed.Round(100*time.Millisecond), created)
	fmt.Fprintf(out, "  %d teachers, %d families, %d students (%d with a weekly lesson), %d lessons.\n",
		len(plan.Teachers), len(plan.Families), len(plan.Students), plan.scheduled(),
		result.Created["lessons"]+result.Existing["lessons"])
	fmt.Fprintf(out, "\nSign in (API or JS SDK) as the academy admin: %s / %s\n", plan.Admin.Email, demoPassword)
	fmt.Fprintf(out, "Every demo account uses that password: teacher01@%s, parent0001@%s, …\n", demoDomain, demoDomain)
	fmt.Fprintf(out, "The admin UI (/_/) needs a superuser, a PocketBase account of its own:\n")
	fmt.Fprintf(out, "  %s superuser upsert you@example.com 'a-long-password' --dir %s\n", command.Root().Name(), app.DataDir())
	return nil
}

func sizeNames() []string {
	names := make([]string, 0, len(demoSizes))
	for n := range demoSizes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// scheduled counts the students with a weekly slot.
func (p *demoPlan) scheduled() int {
	n := 0
	for _, s := range p.Students {
		if s.Slot != nil {
			n++
		}
	}
	return n
}
