package workflows_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// testOptions are quick enough for tests: short polls, a short lease.
func testOptions(reg *workflows.Registry) workflows.Options {
	return workflows.Options{
		Registry: reg, Workers: 4, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		ShutdownGrace: time.Second, MailInterval: 50 * time.Millisecond, NoSchedules: true,
	}
}

// newEngine returns a fixture app with a started engine over reg.
func newEngine(t *testing.T, reg *workflows.Registry) (*tests.TestApp, *workflows.Engine) {
	t.Helper()
	app, _ := testapp.New(t, wiring.WithoutEngine())
	eng := workflows.NewEngine(app, testOptions(reg))
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return app, eng
}

// registry returns a registry holding defs (failing the test otherwise).
func registry(t *testing.T, defs ...workflows.Definition) *workflows.Registry {
	t.Helper()
	reg := workflows.NewRegistry()
	if err := reg.Register(defs...); err != nil {
		t.Fatal(err)
	}
	return reg
}

// waitFor polls the run until it has one of the statuses.
func waitFor(t *testing.T, app core.App, id string, timeout time.Duration, statuses ...workflows.Status) *workflows.Run {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *workflows.Run
	for time.Now().Before(deadline) {
		r, err := workflows.Get(app, id)
		if err != nil {
			t.Fatal(err)
		}
		last = r
		for _, s := range statuses {
			if r.Status == s {
				return r
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s: status %s after %s, want %v (error %q)", id, last.Status, timeout, statuses, last.Error)
	return nil
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func itoa(n int) string { return strconv.Itoa(n) }
