package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"cedarheights/workflows"
)

// newWorkflowsCommand: `workflows list|show|start|retry|resume|cancel`, the
// operator's view of the workflow engine (it acts as a superuser: no rules
// apply). Changes are picked up by a running server within a second.
func newWorkflowsCommand(app core.App) *cobra.Command {
	root := &cobra.Command{
		Use:   "workflows",
		Short: "List, inspect, start, retry, resume and cancel workflow runs",
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// A fresh data dir has only PocketBase's own tables until the
			// app's migrations run (serve applies them too).
			if err := app.RunAllMigrations(); err != nil {
				return fmt.Errorf("migrations: %w", err)
			}
			return nil
		},
		SilenceUsage: true,
	}
	root.AddCommand(workflowsList(app), workflowsShow(app), workflowsStart(app),
		workflowsRetry(app), workflowsResume(app), workflowsCancel(app))
	return root
}

func workflowsList(app core.App) *cobra.Command {
	var f workflows.ListFilter
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Example: "  cedarheights workflows list --status dead_letter\n" +
			"  cedarheights workflows list --name trial_confirmation --limit 20",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.Status = workflows.Status(status)
			if status != "" && !wfValidStatus(f.Status) {
				return fmt.Errorf("unknown --status %q (want one of %s)", status, wfStatusNames())
			}
			runs, err := workflows.List(app, f)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tWORKFLOW\tSTATUS\tSUBJECT\tCREATED\tUPDATED\tREADY\tERROR")
			for _, r := range runs {
				fmt.Fprintf(w, "%s\t%s v%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Version, r.Status, r.Subject,
					wfStamp(r.Created), wfStamp(r.Updated), strings.Join(r.Ready, ","), wfClip(r.Error, 60))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(runs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "(no runs)")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only runs in this status: "+wfStatusNames())
	cmd.Flags().StringVar(&f.Name, "name", "", "only runs of this workflow")
	cmd.Flags().StringVar(&f.Subject, "subject", "", "only runs about this subject, e.g. lessons:<id>")
	cmd.Flags().StringVar(&f.Owner, "owner", "", "only runs owned by this user id")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "how many runs")
	cmd.Flags().IntVar(&f.Offset, "offset", 0, "skip this many runs")
	return cmd
}

func workflowsShow(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "show <run id>",
		Short: "Show a run: status, input, state, progress and every step's attempts, timings and errors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := workflows.Get(app, args[0])
			if err != nil {
				return err
			}
			steps, err := workflows.Steps(app, run.ID)
			if err != nil {
				return err
			}
			printWorkflowRun(cmd.OutOrStdout(), run, steps)
			return nil
		},
	}
}

func workflowsStart(app core.App) *cobra.Command {
	var input, key, subject, owner string
	cmd := &cobra.Command{
		Use:     "start <workflow>",
		Short:   "Start a run of a registered workflow (a running server executes it)",
		Example: `  cedarheights workflows start trial_confirmation --input '{"lesson":"<lesson id>"}'`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := workflows.StartByName(app, args[0], json.RawMessage(input),
				workflows.StartOptions{IdempotencyKey: key, Subject: subject, Owner: owner})
			if err != nil {
				return err
			}
			note := "started"
			if run.Existing {
				note = "already exists (same idempotency key)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run %s %s: %s v%d, %s\n", run.ID, note, run.Name, run.Version, run.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "the input as JSON")
	cmd.Flags().StringVar(&key, "key", "", "idempotency key: starting twice with it makes one run")
	cmd.Flags().StringVar(&subject, "subject", "", "what the run is about")
	cmd.Flags().StringVar(&owner, "owner", "", "user id the run acts for (may read it)")
	return cmd
}

func workflowsRetry(app core.App) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "retry <run id>",
		Short: "Run a failed, dead-lettered, cancelled or completed run again from a node (default: the node that failed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return wfReportControl(cmd, "retried", func() (*workflows.Run, error) { return workflows.Retry(app, args[0], from) })
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "node to rerun from (it and everything after it run again)")
	return cmd
}

func workflowsResume(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "resume <run id>",
		Short: "Continue a run from its last checkpoint (sleeping: timers fire now; waiting: inbox checked now; stopped: ready nodes run)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return wfReportControl(cmd, "resumed", func() (*workflows.Run, error) { return workflows.Resume(app, args[0]) })
		},
	}
}

func workflowsCancel(app core.App) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel <run id>",
		Short: "Cancel a run that has not ended (its running node is cancelled too)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return wfReportControl(cmd, "cancelled", func() (*workflows.Run, error) { return workflows.Cancel(app, args[0], reason) })
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "cancelled from the CLI", "recorded in the run's error")
	return cmd
}

func wfReportControl(cmd *cobra.Command, verb string, do func() (*workflows.Run, error)) error {
	run, err := do()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "run %s %s: now %s, ready %v\n", run.ID, verb, run.Status, run.Ready)
	return nil
}

func printWorkflowRun(out io.Writer, r *workflows.Run, steps []workflows.StepRecord) {
	fmt.Fprintf(out, "Run %s: %s v%d\n", r.ID, r.Name, r.Version)
	fmt.Fprintf(out, "  status      %s\n", r.Status)
	line := func(k, v string) {
		if v != "" && v != "-" {
			fmt.Fprintf(out, "  %-11s %s\n", k, v)
		}
	}
	line("error", r.Error)
	line("subject", r.Subject)
	line("owner", r.Owner)
	line("idempotency", r.IdempotencyKey)
	line("created", wfStamp(r.Created))
	line("started", wfStamp(r.Started))
	line("finished", wfStamp(r.Finished))
	line("ready", strings.Join(r.Ready, ", "))
	line("done", strings.Join(r.Done, ", "))
	if r.LeaseOwner != "" {
		line("lease", r.LeaseOwner+" until "+wfStamp(r.LeaseUntil))
	}
	line("wakes", wfStamp(r.WakeAt))
	if r.WaitKey != "" {
		line("waits for", r.WaitKey+" until "+wfStamp(r.WaitDeadline))
	}
	for _, j := range []struct {
		name string
		raw  json.RawMessage
	}{{"input", r.Input}, {"state", r.State}, {"result", r.Result}, {"progress", r.Progress()}} {
		if s := wfPretty(j.raw); s != "" {
			fmt.Fprintf(out, "  %-11s %s\n", j.name, strings.ReplaceAll(s, "\n", "\n              "))
		}
	}
	fmt.Fprintf(out, "\nSteps (%d)\n", len(steps))
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  NODE\tATTEMPT\tSTATUS\tSTARTED\tMS\tERROR / OUTPUT")
	for _, s := range steps {
		detail := s.Error
		if detail == "" && string(s.Output) != "null" {
			detail = string(s.Output)
		}
		fmt.Fprintf(w, "  %s\t%d\t%s\t%s\t%.1f\t%s\n", s.Node, s.Attempt, s.Status, wfStamp(s.Started), s.DurationMS, wfClip(detail, 100))
	}
	w.Flush()
}

func wfPretty(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

func wfStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func wfClip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func wfValidStatus(s workflows.Status) bool {
	for _, v := range workflows.Statuses {
		if v == s {
			return true
		}
	}
	return false
}

func wfStatusNames() string {
	names := make([]string, len(workflows.Statuses))
	for i, s := range workflows.Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
