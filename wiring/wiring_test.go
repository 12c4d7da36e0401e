package wiring_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// TestRegisterWiresTheEngineWithTheAcademysWorkflows: a test app (wired by
// Register, as main is) has an engine that knows the academy's workflows,
// starts on serve and runs them.
func TestRegisterWiresTheEngineWithTheAcademysWorkflows(t *testing.T) {
	app, _ := testapp.New(t)
	eng := workflows.EngineOf(app)
	if eng == nil {
		t.Fatal("no engine")
	}
	var names []string
	for _, w := range eng.Registry().Workflows() {
		names = append(names, w.Name)
	}
	for _, want := range []string{"trial_confirmation", "lesson_reminders", "stripe_event"} {
		if !slices.Contains(names, want) {
			t.Errorf("registered workflows %v, missing %s", names, want)
		}
	}
	testapp.Serve(t, app) // OnServe starts the engine
	run, err := workflows.StartByName(app, "lesson_reminders", json.RawMessage(`{"from":"2030-01-01T00:00:00Z","to":"2030-01-02T00:00:00Z"}`), workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, app, run.ID)
}

// TestOptions: a test that needs less says so, and gets less.
func TestOptions(t *testing.T) {
	app, _ := testapp.New(t, wiring.WithoutEngine())
	if workflows.EngineOf(app) != nil {
		t.Error("WithoutEngine wired an engine")
	}

	extra := workflows.Define("wiring_extra", 1,
		func(in struct{}) struct{} { return in },
		workflows.Task("only", func(s *workflows.Step[struct{}]) error { return nil }))
	app, _ = testapp.New(t, wiring.WithWorkflows(extra), wiring.WithEngineOptions(workflows.Options{Workers: 1, NoMail: true}))
	var names []string
	for _, w := range workflows.EngineOf(app).Registry().Workflows() {
		names = append(names, w.Name)
	}
	if !slices.Contains(names, "wiring_extra") || !slices.Contains(names, "trial_confirmation") {
		t.Errorf("registered workflows %v, want the academy's and the extra one", names)
	}

	// A workflow registered twice is the caller's mistake, reported.
	bare, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bare.Cleanup)
	if err := wiring.Register(bare, wiring.WithWorkflows(extra, extra)); err == nil {
		t.Error("a workflow registered twice was accepted")
	}
}

func waitCompleted(t *testing.T, app core.App, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r, err := workflows.Get(app, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == workflows.StatusCompleted {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s did not complete", id)
}
