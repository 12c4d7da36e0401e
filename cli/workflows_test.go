package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// runWorkflows runs `workflows <args>` against app and returns its output.
func runWorkflows(t *testing.T, app core.App, args ...string) (string, error) {
	t.Helper()
	cmd := newWorkflowsCommand(app)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestWorkflowsCommands(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t) // the engine is not started (nothing serves): runs wait
	out, err := runWorkflows(t, app, "start", "trial_confirmation", "--input", `{"lesson":"`+f.LessonA1+`"}`, "--key", "cli-1", "--subject", "lessons:"+f.LessonA1)
	if err != nil || !strings.Contains(out, "started: trial_confirmation v1, pending") {
		t.Fatalf("start: %q %v", out, err)
	}
	id := strings.Fields(out)[1]
	if out, _ := runWorkflows(t, app, "start", "trial_confirmation", "--input", `{"lesson":"`+f.LessonA1+`"}`, "--key", "cli-1"); !strings.Contains(out, id+" already exists") {
		t.Errorf("second start: %q", out)
	}
	if _, err := runWorkflows(t, app, "start", "trial_confirmation", "--input", `{"lesson":5}`); err == nil {
		t.Error("bad input accepted")
	}

	out, err = runWorkflows(t, app, "list", "--status", "pending")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "trial_confirmation v1") {
		t.Errorf("list: %q %v", out, err)
	}
	if out, _ := runWorkflows(t, app, "list", "--status", "completed"); strings.Contains(out, id) || !strings.Contains(out, "(no runs)") {
		t.Errorf("list --status completed: %q", out)
	}
	if _, err := runWorkflows(t, app, "list", "--status", "bogus"); err == nil {
		t.Error("an unknown status was accepted")
	}

	out, err = runWorkflows(t, app, "show", id)
	if err != nil || !strings.Contains(out, "status      pending") || !strings.Contains(out, `"lesson": "`+f.LessonA1+`"`) || !strings.Contains(out, "Steps (0)") {
		t.Errorf("show: %q %v", out, err)
	}
	if _, err := runWorkflows(t, app, "show", "nosuchrun000000"); err == nil {
		t.Error("show of an unknown run succeeded")
	}

	if out, err := runWorkflows(t, app, "cancel", id, "--reason", "test"); err != nil || !strings.Contains(out, "now cancelled") {
		t.Errorf("cancel: %q %v", out, err)
	}
	if _, err := runWorkflows(t, app, "cancel", id); err == nil {
		t.Error("cancelling twice succeeded")
	}
	if out, err := runWorkflows(t, app, "resume", id); err != nil || !strings.Contains(out, "now pending, ready [load]") {
		t.Errorf("resume: %q %v", out, err)
	}
	if _, err := runWorkflows(t, app, "retry", id); err == nil {
		t.Error("retrying a pending run succeeded")
	}
	runWorkflows(t, app, "cancel", id)
	if out, err := runWorkflows(t, app, "retry", id, "--from", "check"); err != nil || !strings.Contains(out, "now pending, ready [check]") {
		t.Errorf("retry --from: %q %v", out, err)
	}
}
