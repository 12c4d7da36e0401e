package workflows_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"cedarheights/workflows"
)

// orderInput routes by size: big orders take the review branch.
type orderInput struct {
	Amount int `json:"amount"`
}

func (in orderInput) Validate() error {
	return validation.ValidateStruct(&in, validation.Field(&in.Amount, validation.Required, validation.Min(1)))
}

type orderState struct {
	Amount   int      `json:"amount"`
	Trail    []string `json:"trail"`
	Reviewed bool     `json:"reviewed"`
	Shipped  bool     `json:"shipped"`
}

func visit(name string) func(s *workflows.Step[orderState]) error {
	return func(s *workflows.Step[orderState]) error {
		s.State.Trail = append(s.State.Trail, name)
		return nil
	}
}

var orderFlow = workflows.Define("order", 1,
	func(in orderInput) orderState { return orderState{Amount: in.Amount} },
	workflows.Task("receive", visit("receive")).Then("size"),
	workflows.Router("size", func(s *orderState) string {
		if s.Amount >= 1000 {
			return "big"
		}
		return "small"
	}).Branch("big", "review").Fallback("ship"),
	workflows.Task("review", func(s *workflows.Step[orderState]) error {
		s.State.Reviewed = true
		s.State.Trail = append(s.State.Trail, "review")
		return nil
	}).Then("ship"),
	workflows.Task("ship", func(s *workflows.Step[orderState]) error {
		s.State.Shipped = true
		s.State.Trail = append(s.State.Trail, "ship")
		return nil
	}),
).Result(func(s *orderState) any { return map[string]any{"trail": s.Trail, "reviewed": s.Reviewed} })

func TestRouterTakesBranches(t *testing.T) {
	t.Parallel()
	app, _ := newEngine(t, registry(t, orderFlow))
	cases := []struct {
		amount int
		trail  []string
		nodes  []string // step records, in order
	}{
		{50, []string{"receive", "ship"}, []string{"receive", "size", "ship"}},
		{5000, []string{"receive", "review", "ship"}, []string{"receive", "size", "review", "ship"}},
	}
	for _, c := range cases {
		run, err := workflows.Start(app, orderFlow, orderInput{Amount: c.amount}, workflows.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
		var result struct {
			Trail    []string `json:"trail"`
			Reviewed bool     `json:"reviewed"`
		}
		if err := json.Unmarshal(done.Result, &result); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(result.Trail, c.trail) || result.Reviewed != (c.amount >= 1000) {
			t.Errorf("amount %d: result %s, want trail %v", c.amount, done.Result, c.trail)
		}
		steps, err := workflows.Steps(app, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var nodes []string
		for _, s := range steps {
			nodes = append(nodes, s.Node)
			if s.Status != "completed" || s.Attempt != 1 {
				t.Errorf("step %s: status %s attempt %d", s.Node, s.Status, s.Attempt)
			}
		}
		if !slices.Equal(nodes, c.nodes) {
			t.Errorf("amount %d: steps %v, want %v", c.amount, nodes, c.nodes)
		}
		if !strings.Contains(string(steps[1].Output), `"branch"`) {
			t.Errorf("router step output %s names no branch", steps[1].Output)
		}
		if done.LeaseOwner != "" || done.Finished.IsZero() || len(done.Ready) != 0 {
			t.Errorf("completed run keeps lease %q / finished %v / ready %v", done.LeaseOwner, done.Finished, done.Ready)
		}
	}
}

// fanState: the two branches write different fields; both survive.
type fanState struct {
	Left  string `json:"left"`
	Right string `json:"right"`
	Both  string `json:"both"`
}

func TestFanOutRunsBranchesInParallelAndJoins(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	barrier := make(chan struct{})
	var arrived atomic.Int32
	branch := func(set func(*fanState)) func(s *workflows.Step[fanState]) error {
		return func(s *workflows.Step[fanState]) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if arrived.Add(1) == 2 {
				close(barrier)
			}
			select { // each branch waits for the other: only parallel runs finish
			case <-barrier:
			case <-time.After(3 * time.Second):
				return workflows.Permanent(errors.New("branches did not run in parallel"))
			}
			set(s.State)
			return nil
		}
	}
	fan := workflows.Define("fan", 1, func(struct{}) fanState { return fanState{} },
		workflows.Task("split", func(s *workflows.Step[fanState]) error { return nil }).Then("left", "right"),
		workflows.Task("left", branch(func(s *fanState) { s.Left = "L" })).Then("join"),
		workflows.Task("right", branch(func(s *fanState) { s.Right = "R" })).Then("join"),
		workflows.Join[fanState]("join").Then("after"),
		workflows.Task("after", func(s *workflows.Step[fanState]) error {
			s.State.Both = s.State.Left + s.State.Right
			return nil
		}),
	)
	app, _ := newEngine(t, registry(t, fan))
	run, err := workflows.Start(app, fan, struct{}{}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted, workflows.StatusFailed, workflows.StatusDeadLetter)
	if done.Status != workflows.StatusCompleted {
		t.Fatalf("status %s: %s", done.Status, done.Error)
	}
	var st fanState
	json.Unmarshal(done.State, &st)
	if st.Both != "LR" {
		t.Errorf("state %s: want both branches' writes merged and seen after the join", done.State)
	}
	if peak.Load() != 2 {
		t.Errorf("peak parallel branches %d, want 2", peak.Load())
	}
	steps, _ := workflows.Steps(app, run.ID)
	order := map[string]int{}
	for i, s := range steps {
		order[s.Node] = i
	}
	if order["join"] < order["left"] || order["join"] < order["right"] || order["after"] < order["join"] {
		t.Errorf("join recorded before its predecessors: %v", order)
	}
}
