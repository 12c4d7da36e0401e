package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/billing"
	"cedarheights/enrollment"
	"cedarheights/notify"
	"cedarheights/workflows"
)

// demo_runs.go: the academy's workflows run for real on the app's engine,
// which the demo starts for the purpose: enrollments made by the
// enrollment workflow (each trial lesson it books starts a
// trial_confirmation run, as in production), an enrollment cancelled by
// the office (enrollment_cancel) and the reminders for tomorrow's lessons
// (lesson_reminders). Every run carries an idempotency key, so a second
// demo finds them and starts nothing. stripe_event runs come only from
// Stripe's webhooks; an offline demo has none.
//
// Two states need time to pass: a new family has 48 hours to confirm its
// address. "Failed" enrollments take that timeout at once the way an
// operator would, by retrying the waiting run from its timeout node
// (`workflows retry --from email_timeout`), so the failure, its
// compensation (trial released, enrollment marked failed with the reason)
// and the mail to the family are the workflow's own.

// demoRunWait bounds how long the demo waits for one run.
const demoRunWait = 30 * time.Second

func (l *demoLoader) workflowRuns() error {
	started := time.Now()
	eng := workflows.EngineOf(l.app)
	if eng == nil {
		fmt.Fprintf(l.out, "  %-13s skipped: no workflow engine is wired\n", "workflows")
		return nil
	}
	// Start is a no-op when the engine runs already; runDemo stops it.
	if err := eng.Start(); err != nil {
		return fmt.Errorf("workflow engine: %w", err)
	}
	runsBefore, _ := l.app.CountRecords("workflow_runs")
	enrollmentsBefore, _ := l.app.CountRecords("enrollments")

	outcomes := map[string]int{}
	for _, d := range l.plan.demoEnrollments() {
		got, err := l.enroll(d)
		if err != nil {
			return fmt.Errorf("enrollment %s (%s %s): %w", d.Key, d.First, d.Last, err)
		}
		outcomes[got]++
	}
	if err := l.reminders(); err != nil {
		return err
	}
	// Trial confirmations started by the trial lessons, and anything else
	// still on its way, finish before the demo reports.
	if err := awaitActive(l.app); err != nil {
		return err
	}

	runsAfter, _ := l.app.CountRecords("workflow_runs")
	enrollmentsAfter, _ := l.app.CountRecords("enrollments")
	l.result.Created["workflow_runs"] += int(runsAfter - runsBefore)
	l.result.Existing["workflow_runs"] += int(runsBefore)
	l.result.Created["enrollments"] += int(enrollmentsAfter - enrollmentsBefore)
	fmt.Fprintf(l.out, "  %-13s %7d created %7d existing  %7s  (total %s)\n", "workflow runs",
		runsAfter-runsBefore, runsBefore, time.Since(started).Round(time.Millisecond), l.since())
	fmt.Fprintf(l.out, "    enrollments by the workflow: %s\n", countsLine(outcomes))
	byName, err := runCounts(l.app)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.out, "    runs: %s\n", byName)
	if !billing.From(l.app).Online() {
		fmt.Fprintf(l.out, "    stripe_event: none (billing is offline; Stripe's webhooks start those runs)\n")
	}
	return nil
}

// enroll runs d's enrollment to the outcome it is meant to show and
// returns the enrollment's status.
func (l *demoLoader) enroll(d demoEnrollment) (string, error) {
	parent, newAccount, err := l.enrollingParent(d)
	if err != nil {
		return "", err
	}
	in := enrollment.Input{
		Parent: enrollment.ParentInput{ID: parent, NewAccount: newAccount},
		Student: enrollment.StudentInput{
			FirstName: d.First, LastName: d.Last, BirthDate: d.BirthDate.Format(time.DateOnly),
			Instrument: l.instrumentIds[d.Instrument], Level: d.Level,
		},
		Plan: l.priceIds[d.Plan], MatchMe: true, Source: enrollment.SourceAdmin,
	}
	if d.Family < 0 {
		in.Source = enrollment.SourcePublic
	}
	run, err := workflows.Start(l.app, enrollment.Enrollment, in,
		workflows.StartOptions{IdempotencyKey: d.Key, Owner: parent, Subject: "enrollments"})
	if err != nil {
		return "", err
	}
	run, err = awaitRest(l.app, run.ID)
	if err != nil {
		return "", err
	}
	if d.Outcome == outcomeFailed && run.Status == workflows.StatusWaiting {
		if _, err := workflows.Cancel(l.app, run.ID, "demo: the address is taken as never confirmed"); err != nil {
			return "", err
		}
		if _, err := workflows.Retry(l.app, run.ID, "email_timeout"); err != nil {
			return "", err
		}
		if run, err = awaitRest(l.app, run.ID); err != nil {
			return "", err
		}
	}
	var st struct {
		Enrollment string `json:"enrollment"`
		Problem    string `json:"problem"`
	}
	json.Unmarshal(run.State, &st)
	if st.Enrollment == "" {
		return "", fmt.Errorf("run %s ended %s without an enrollment: %s %s", run.ID, run.Status, run.Error, st.Problem)
	}
	enr, err := l.app.FindRecordById("enrollments", st.Enrollment)
	if err != nil {
		return "", err
	}
	if d.Outcome == outcomeCancelled && enr.GetString("status") == "active" {
		cancel, err := workflows.Start(l.app, enrollment.Cancellation,
			enrollment.CancelInput{Enrollment: enr.Id, Reason: "the family moved out of town"},
			enrollment.CancelStartOptions(l.app, enr))
		if err != nil {
			return "", err
		}
		if _, err := awaitRest(l.app, cancel.ID); err != nil {
			return "", err
		}
		if enr, err = l.app.FindRecordById("enrollments", st.Enrollment); err != nil {
			return "", err
		}
	}
	return enr.GetString("status"), nil
}

// enrollingParent is the family's account: a demo family's, or a new
// family's, made the way the public route makes it (unconfirmed; the
// demo's shared password so a newcomer can sign in as it).
func (l *demoLoader) enrollingParent(d demoEnrollment) (id string, created bool, err error) {
	if d.Family >= 0 {
		return l.userIds[l.plan.Families[d.Family].Email], false, nil
	}
	existing, err := l.app.FindAuthRecordByEmail("users", d.NewParent.Email)
	if err == nil {
		return existing.Id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	col, err := l.app.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return "", false, err
	}
	u := core.NewRecord(col)
	u.SetEmail(d.NewParent.Email)
	u.SetVerified(false)
	u.SetRaw("password", &core.PasswordFieldValue{Hash: l.hash})
	u.Load(map[string]any{"name": d.NewParent.Name, "phone": d.NewParent.Phone, "role": "parent", "timezone": l.settings.Zone.String()})
	if err := l.app.Save(u); err != nil {
		return "", false, fmt.Errorf("account %s: %w%s", d.NewParent.Email, err, errorDetail(err))
	}
	return u.Id, true, nil
}

// reminders runs lesson_reminders for three windows of tomorrow
// afternoon, as the hourly schedule does a day ahead: each lesson in them
// gets one reminder in the outbox.
func (l *demoLoader) reminders() error {
	settings, err := academy.Load(l.app)
	if err != nil {
		return err
	}
	tomorrow := civilDate(time.Now().In(settings.Zone)).AddDate(0, 0, 1)
	for k := range 3 {
		to := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 16+k, 0, 0, 0, settings.Zone).UTC()
		run, err := workflows.Start(l.app, notify.LessonReminders, notify.ReminderInput{From: to.Add(-time.Hour), To: to},
			workflows.StartOptions{IdempotencyKey: fmt.Sprintf("demo:lesson_reminders:%d", k+1), Subject: "lessons"})
		if err != nil {
			return fmt.Errorf("lesson reminders: %w", err)
		}
		if _, err := awaitRest(l.app, run.ID); err != nil {
			return err
		}
	}
	return nil
}

// awaitRest waits until the run ends or parks waiting for an event.
func awaitRest(app core.App, id string) (*workflows.Run, error) {
	deadline := time.Now().Add(demoRunWait)
	for {
		run, err := workflows.Get(app, id)
		if err != nil {
			return nil, err
		}
		if run.Status.Terminal() || run.Status == workflows.StatusWaiting {
			return run, nil
		}
		if time.Now().After(deadline) {
			return run, fmt.Errorf("run %s (%s) still %s after %s", id, run.Name, run.Status, demoRunWait)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		workflows.Await(ctx, app, id) // wakes at once when this engine ends it
		cancel()
	}
}

// awaitActive waits for every run that is neither ended nor waiting for
// an event.
func awaitActive(app core.App) error {
	var ids []string
	err := app.DB().Select("id").From("workflow_runs").
		Where(dbx.In("status", string(workflows.StatusPending), string(workflows.StatusRunning), string(workflows.StatusSleeping))).
		Column(&ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := awaitRest(app, id); err != nil {
			return err
		}
	}
	return nil
}

// runCounts is "enrollment 8 (3 completed, …), …" over every run.
func runCounts(app core.App) (string, error) {
	var rows []struct {
		Name   string `db:"name"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	err := app.DB().NewQuery("SELECT name, status, COUNT(*) AS n FROM workflow_runs GROUP BY name, status ORDER BY name, status").All(&rows)
	if err != nil {
		return "", err
	}
	byName := map[string]map[string]int{}
	var names []string
	for _, r := range rows {
		if byName[r.Name] == nil {
			byName[r.Name] = map[string]int{}
			names = append(names, r.Name)
		}
		byName[r.Name][r.Status] = r.N
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		total := 0
		for _, c := range byName[n] {
			total += c
		}
		parts = append(parts, fmt.Sprintf("%s %d (%s)", n, total, countsLine(byName[n])))
	}
	if len(parts) == 0 {
		return "none", nil
	}
	return strings.Join(parts, ", "), nil
}

// countsLine is "3 active, 2 failed" in a stable order.
func countsLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}
