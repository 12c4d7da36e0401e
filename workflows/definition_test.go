package workflows_test

import (
	"strings"
	"testing"
	"time"

	"cedarheights/workflows"
)

type st struct{}

func noop(*workflows.Step[st]) error { return nil }
func pick(*st) string                { return "x" }
func never(*st) time.Time            { return time.Time{} }
func key(*st) string                 { return "k" }
func initSt(struct{}) st             { return st{} }

func TestInvalidDefinitionsAreRefused(t *testing.T) {
	t.Parallel()
	T := workflows.Task[st]
	cases := []struct {
		name  string
		def   *workflows.Workflow[struct{}, st]
		wants string
	}{
		{"no nodes", workflows.Define("w", 1, initSt), "at least one node"},
		{"no name", workflows.Define("", 1, initSt, T("a", noop)), "needs a name"},
		{"version 0", workflows.Define("w", 0, initSt, T("a", noop)), "version must be 1"},
		{"unknown next", workflows.Define("w", 1, initSt, T("a", noop).Then("b")), `unknown node "b"`},
		{"duplicate id", workflows.Define("w", 1, initSt, T("a", noop), T("a", noop)), "declared twice"},
		{"cycle", workflows.Define("w", 1, initSt,
			T("a", noop).Then("b"), T("b", noop).Then("c"), T("c", noop).Then("b")), "cycle"},
		{"self loop", workflows.Define("w", 1, initSt, T("a", noop).Then("a")), "continues to itself"},
		{"unreachable", workflows.Define("w", 1, initSt, T("a", noop), T("b", noop)), `"b" is unreachable`},
		{"router without fallback", workflows.Define("w", 1, initSt,
			workflows.Router("r", pick).Branch("x", "a"), T("a", noop)), "has no fallback"},
		{"router naming an unknown branch node", workflows.Define("w", 1, initSt,
			workflows.Router("r", pick).Branch("x", "zzz").Fallback("a"), T("a", noop)), `unknown node "zzz"`},
		{"router with Then", workflows.Define("w", 1, initSt,
			workflows.Router("r", pick).Then("a").Fallback("a"), T("a", noop)), "not Then"},
		{"branch on a task", workflows.Define("w", 1, initSt, T("a", noop).Branch("x", "b"), T("b", noop)), "Branch is for routers"},
		{"join with one predecessor", workflows.Define("w", 1, initSt,
			T("a", noop).Then("j"), workflows.Join[st]("j")), "join \"j\" has 1 predecessor"},
		{"wait without timeout branch", workflows.Define("w", 1, initSt,
			workflows.Wait("w", key, time.Minute).Then("a"), T("a", noop)), "no OnTimeout"},
		{"wait without a timeout", workflows.Define("w", 1, initSt,
			workflows.Wait("w", key, 0).Then("a").OnTimeout("a"), T("a", noop)), "positive timeout"},
		{"task without a function", workflows.Define("w", 1, initSt, T("a", nil)), "has no function"},
		{"sleep without a function", workflows.Define("w", 1, initSt, workflows.Sleep[st]("s", nil)), "has no function"},
		{"unknown compensation", workflows.Define("w", 1, initSt, T("a", noop).Compensate("undo")), `unknown compensation "undo"`},
		{"compensation on the path", workflows.Define("w", 1, initSt,
			T("a", noop).Then("b").Compensate("b"), T("b", noop)), "also on the workflow's path"},
		{"compensation that continues", workflows.Define("w", 1, initSt,
			T("a", noop).Compensate("u"), T("u", noop).Then("a")), "must not continue"},
		{"compensating a router", workflows.Define("w", 1, initSt,
			workflows.Router("r", pick).Fallback("a").Compensate("a"), T("a", noop)), "Compensate is for tasks"},
		{"no init", workflows.Define[struct{}, st]("w", 1, nil, T("a", noop)), "no init function"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := workflows.NewRegistry().Register(c.def)
			if err == nil {
				t.Fatal("registered")
			}
			if !strings.Contains(err.Error(), c.wants) {
				t.Errorf("error %q does not say %q", err, c.wants)
			}
			defer func() {
				if recover() == nil {
					t.Error("MustRegister did not panic")
				}
			}()
			workflows.NewRegistry().MustRegister(c.def)
		})
	}
}

func TestValidDefinitionRegistersOnce(t *testing.T) {
	t.Parallel()
	def := workflows.Define("ok", 1, initSt,
		workflows.Task("a", noop).Then("r").Compensate("undo_a"),
		workflows.Router("r", pick).Branch("x", "b", "c").Fallback("d"),
		workflows.Task("b", noop).Then("j"),
		workflows.Task("c", noop).Then("j"),
		workflows.Join[st]("j").Then("s"),
		workflows.Sleep("s", never).Then("w"),
		workflows.Wait("w", key, time.Hour).Then("d").OnTimeout("d"),
		workflows.Task("d", noop),
		workflows.Task("undo_a", noop),
	)
	reg := workflows.NewRegistry()
	if err := reg.Register(def); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(def); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("second registration: %v", err)
	}
	infos := reg.Workflows()
	if len(infos) != 1 || infos[0].Name != "ok" || len(infos[0].Nodes) != 9 || infos[0].Nodes[0] != "a" {
		t.Errorf("workflows %+v", infos)
	}
}
