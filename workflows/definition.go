package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// definition.go: the typed way to declare a workflow. Define takes the
// run's input type In and its state type State (both JSON-encodable); the
// nodes read and extend *State. Everything is compiled into an untyped spec
// (graph.go) when the workflow is registered.

type nodeKind int

const (
	kindTask nodeKind = iota + 1
	kindRouter
	kindJoin
	kindSleep
	kindWait
)

func (k nodeKind) String() string {
	switch k {
	case kindTask:
		return "task"
	case kindRouter:
		return "router"
	case kindJoin:
		return "join"
	case kindSleep:
		return "sleep"
	case kindWait:
		return "wait"
	}
	return "unknown"
}

// Event is an external event delivered to a waiting run (see Signal).
type Event struct {
	ID      string          // the inbox record's id
	EventID string          // the sender's id, when it gave one
	Key     string          // correlation key
	Payload json.RawMessage // as signalled
	Created time.Time
}

// Node is one node of a workflow over state S. Build it with Task,
// Router, Join, Sleep or Wait and chain the options that apply to its kind;
// options that do not apply are reported when the workflow is registered.
type Node[S any] struct {
	id         string
	kind       nodeKind
	next       []string
	branches   map[string][]string
	branchList []string // branch names in declaration order
	fallback   string
	onTimeout  string
	compensate string
	retry      *RetryPolicy
	timeout    time.Duration

	task    func(*Step[S]) error
	route   func(*S) string
	until   func(*S) time.Time
	key     func(*S) string
	waitFor time.Duration
	waitTo  func(*S) time.Time
	receive func(*S, Event) error

	misuse []string
}

// Task runs fn, which may read and change s.State, call outside with
// s.IdempotencyKey() and queue database writes with s.Write. An error is
// retried under the node's RetryPolicy unless marked Permanent.
func Task[S any](id string, fn func(s *Step[S]) error) *Node[S] {
	return &Node[S]{id: id, kind: kindTask, task: fn}
}

// Router picks the branch named by fn; a name without a Branch takes the
// Fallback, which every router must have. fn must be a pure function of
// the state (load what it needs in an earlier task).
func Router[S any](id string, fn func(s *S) string) *Node[S] {
	return &Node[S]{id: id, kind: kindRouter, route: fn}
}

// Join waits until every node with an edge into it has completed, then
// continues to its Then nodes. Use it after a fan-out.
func Join[S any](id string) *Node[S] {
	return &Node[S]{id: id, kind: kindJoin}
}

// Sleep is a durable timer: the run sleeps until the time fn returns
// (computed when the node becomes ready) and continues then, also across
// restarts; a time that fell due while the server was down fires once when
// it comes back.
func Sleep[S any](id string, until func(s *S) time.Time) *Node[S] {
	return &Node[S]{id: id, kind: kindSleep, until: until}
}

// Wait waits for an external event whose correlation key is key(state)
// (see Signal), at most timeout; then it takes its OnTimeout node. An event
// signalled before the run reached the wait is consumed too. A run waits
// for one event at a time.
func Wait[S any](id string, key func(s *S) string, timeout time.Duration) *Node[S] {
	return &Node[S]{id: id, kind: kindWait, key: key, waitFor: timeout}
}

// Then names the nodes that follow (several: a parallel fan-out). Not for
// routers, which use Branch and Fallback.
func (n *Node[S]) Then(ids ...string) *Node[S] {
	if n.kind == kindRouter {
		n.misuse = append(n.misuse, "a router continues through Branch and Fallback, not Then")
	}
	n.next = append(n.next, ids...)
	return n
}

// Branch maps a router's branch name to the node(s) it starts.
func (n *Node[S]) Branch(name string, ids ...string) *Node[S] {
	if n.kind != kindRouter {
		n.misuse = append(n.misuse, "Branch is for routers")
	}
	if n.branches == nil {
		n.branches = map[string][]string{}
	}
	if _, dup := n.branches[name]; dup {
		n.misuse = append(n.misuse, fmt.Sprintf("branch %q is declared twice", name))
	}
	if len(ids) == 0 {
		n.misuse = append(n.misuse, fmt.Sprintf("branch %q names no node", name))
	}
	n.branches[name] = ids
	n.branchList = append(n.branchList, name)
	return n
}

// Fallback is the node a router takes for any name without a Branch.
func (n *Node[S]) Fallback(id string) *Node[S] {
	if n.kind != kindRouter {
		n.misuse = append(n.misuse, "Fallback is for routers")
	}
	n.fallback = id
	return n
}

// OnTimeout is the node a Wait takes when no event came in time.
func (n *Node[S]) OnTimeout(id string) *Node[S] {
	if n.kind != kindWait {
		n.misuse = append(n.misuse, "OnTimeout is for waits")
	}
	n.onTimeout = id
	return n
}

// Until ends a Wait at the time fn returns (computed when the wait becomes
// ready) when that comes before its timeout: a deadline that depends on
// the run, such as an offer that must close before the slot it offers.
func (n *Node[S]) Until(fn func(s *S) time.Time) *Node[S] {
	if n.kind != kindWait {
		n.misuse = append(n.misuse, "Until is for waits")
	}
	n.waitTo = fn
	return n
}

// OnEvent lets a Wait copy what it needs from the event into the state.
// An error fails the node permanently.
func (n *Node[S]) OnEvent(fn func(s *S, ev Event) error) *Node[S] {
	if n.kind != kindWait {
		n.misuse = append(n.misuse, "OnEvent is for waits")
	}
	n.receive = fn
	return n
}

// Retry sets the task's retry policy (default DefaultRetry).
func (n *Node[S]) Retry(p RetryPolicy) *Node[S] {
	if n.kind != kindTask {
		n.misuse = append(n.misuse, "Retry is for tasks")
	}
	n.retry = &p
	return n
}

// Timeout bounds one attempt of the task: its context is cancelled then
// and the attempt counts as failed (and is retried).
func (n *Node[S]) Timeout(d time.Duration) *Node[S] {
	if n.kind != kindTask {
		n.misuse = append(n.misuse, "Timeout is for tasks")
	}
	n.timeout = d
	return n
}

// Compensate names the task that undoes this task's effect. When a later
// node fails for good, the compensations of the completed tasks run in the
// reverse order of their completion before the run stops. A compensating
// task is not connected to the graph.
func (n *Node[S]) Compensate(id string) *Node[S] {
	if n.kind != kindTask {
		n.misuse = append(n.misuse, "Compensate is for tasks")
	}
	n.compensate = id
	return n
}

// Workflow is a typed definition: input In, state S. Register it before
// starting runs of it.
type Workflow[In, S any] struct {
	name    string
	version int
	init    func(In) S
	nodes   []*Node[S]
	result  func(*S) any
	timeout time.Duration
}

// Define declares a workflow. init builds the initial state from the
// (validated) input; the first node is the start node. If In has a
// Validate() error method (ozzo-validation's Validatable), Start calls it
// and refuses invalid input before a run exists.
func Define[In, S any](name string, version int, init func(In) S, nodes ...*Node[S]) *Workflow[In, S] {
	return &Workflow[In, S]{name: name, version: version, init: init, nodes: nodes}
}

// Result sets what a completed run reports as its result (default: the
// final state).
func (w *Workflow[In, S]) Result(fn func(s *S) any) *Workflow[In, S] {
	w.result = fn
	return w
}

// DefaultTimeout bounds each task attempt that sets no Timeout (default
// one minute).
func (w *Workflow[In, S]) DefaultTimeout(d time.Duration) *Workflow[In, S] {
	w.timeout = d
	return w
}

// Name is the workflow's name.
func (w *Workflow[In, S]) Name() string { return w.name }

// Version is the workflow's version; runs stay on the version they started.
func (w *Workflow[In, S]) Version() int { return w.version }

// Definition is any registered workflow, whatever its types.
type Definition interface {
	Name() string
	Version() int
	compile() (*spec, error)
}

const defaultTaskTimeout = time.Minute

// compile erases the types: every node function works on the state's JSON.
func (w *Workflow[In, S]) compile() (*spec, error) {
	sp := &spec{name: w.name, version: w.version, nodes: map[string]*nodeSpec{}}
	var problems []string
	if w.init == nil {
		problems = append(problems, "no init function")
	}
	for _, n := range w.nodes {
		if n == nil {
			problems = append(problems, "a nil node")
			continue
		}
		for _, m := range n.misuse {
			problems = append(problems, fmt.Sprintf("node %q (%s): %s", n.id, n.kind, m))
		}
		ns := compileNode(n, w.timeout)
		if _, dup := sp.nodes[n.id]; dup {
			problems = append(problems, fmt.Sprintf("node %q is declared twice", n.id))
			continue
		}
		sp.nodes[n.id] = ns
		sp.order = append(sp.order, n.id)
	}
	if len(w.nodes) > 0 && w.nodes[0] != nil {
		sp.start = w.nodes[0].id
	}

	init, result := w.init, w.result
	sp.newInput = func() any { return new(In) }
	sp.prepare = func(input any) ([]byte, []byte, error) {
		var in In
		switch v := input.(type) {
		case In:
			in = v
		case *In:
			in = *v
		default:
			return nil, nil, &InputError{fmt.Errorf("input is %T, want %T", input, in)}
		}
		if err := validateInput(&in); err != nil {
			return nil, nil, &InputError{err}
		}
		inJSON, err := json.Marshal(in)
		if err != nil {
			return nil, nil, &InputError{err}
		}
		state := init(in)
		stateJSON, err := json.Marshal(state)
		if err != nil {
			return nil, nil, fmt.Errorf("workflow %s: encode initial state: %w", w.name, err)
		}
		return inJSON, stateJSON, nil
	}
	sp.result = func(state []byte) ([]byte, error) {
		if result == nil {
			return state, nil
		}
		var s S
		if err := json.Unmarshal(state, &s); err != nil {
			return nil, err
		}
		return json.Marshal(result(&s))
	}
	if err := sp.check(problems); err != nil {
		return nil, err
	}
	return sp, nil
}

// validateInput calls Validate on the input (value or pointer receiver).
func validateInput(in any) error {
	if v, ok := in.(validation.Validatable); ok {
		return v.Validate()
	}
	return nil
}

func compileNode[S any](n *Node[S], defaultTimeout time.Duration) *nodeSpec {
	ns := &nodeSpec{
		id: n.id, kind: n.kind, next: n.next, branches: n.branches, branchList: n.branchList,
		fallback: n.fallback, onTimeout: n.onTimeout, compensate: n.compensate,
		retry: DefaultRetry, timeout: n.timeout, waitFor: n.waitFor,
	}
	if n.retry != nil {
		ns.retry = n.retry.normalized()
	}
	if ns.timeout <= 0 {
		ns.timeout = defaultTimeout
	}
	if ns.timeout <= 0 {
		ns.timeout = defaultTaskTimeout
	}
	decode := func(state []byte) (*S, error) {
		s := new(S)
		if err := json.Unmarshal(state, s); err != nil {
			return nil, Permanentf("decode state: %w", err)
		}
		return s, nil
	}
	switch {
	case n.kind == kindTask && n.task != nil:
		fn := n.task
		ns.task = func(env *stepEnv, state []byte) ([]byte, error) {
			s, err := decode(state)
			if err != nil {
				return nil, err
			}
			if err := fn(&Step[S]{Context: env.ctx, State: s, env: env}); err != nil {
				return nil, err
			}
			return json.Marshal(s)
		}
	case n.kind == kindRouter && n.route != nil:
		fn := n.route
		ns.route = func(state []byte) (string, error) {
			s, err := decode(state)
			if err != nil {
				return "", err
			}
			return fn(s), nil
		}
	case n.kind == kindSleep && n.until != nil:
		fn := n.until
		ns.until = func(state []byte) (time.Time, error) {
			s, err := decode(state)
			if err != nil {
				return time.Time{}, err
			}
			return fn(s), nil
		}
	case n.kind == kindWait && n.key != nil:
		fn := n.key
		ns.waitKey = func(state []byte) (string, error) {
			s, err := decode(state)
			if err != nil {
				return "", err
			}
			return fn(s), nil
		}
	}
	if n.kind == kindWait && n.waitTo != nil {
		fn := n.waitTo
		ns.waitUntil = func(state []byte) (time.Time, error) {
			s, err := decode(state)
			if err != nil {
				return time.Time{}, err
			}
			return fn(s), nil
		}
	}
	if n.kind == kindWait && n.receive != nil {
		fn := n.receive
		ns.receive = func(state []byte, ev Event) ([]byte, error) {
			s, err := decode(state)
			if err != nil {
				return nil, err
			}
			if err := fn(s, ev); err != nil {
				return nil, Permanent(err)
			}
			return json.Marshal(s)
		}
	}
	return ns
}
