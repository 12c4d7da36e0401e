package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// graph.go: the compiled, untyped form of a definition and the checks run
// when it is registered.

type nodeSpec struct {
	id         string
	kind       nodeKind
	next       []string
	branches   map[string][]string
	branchList []string
	fallback   string
	onTimeout  string
	compensate string
	retry      RetryPolicy
	timeout    time.Duration
	waitFor    time.Duration

	task    func(env *stepEnv, state []byte) ([]byte, error)
	route   func(state []byte) (string, error)
	until   func(state []byte) (time.Time, error)
	waitKey func(state []byte) (string, error)
	// waitUntil, when set, can end a wait before waitFor.
	waitUntil func(state []byte) (time.Time, error)
	receive   func(state []byte, ev Event) ([]byte, error)
}

type spec struct {
	name    string
	version int
	start   string
	nodes   map[string]*nodeSpec
	order   []string
	preds   map[string][]string // every node with an edge into the key
	comp    map[string]bool     // compensating tasks

	newInput func() any
	prepare  func(input any) (inputJSON, stateJSON []byte, err error)
	result   func(state []byte) ([]byte, error)
}

// edges are every node n can continue to, whatever branch is taken.
func (n *nodeSpec) edges() []string {
	out := slices.Clone(n.next)
	for _, name := range n.branchList {
		out = append(out, n.branches[name]...)
	}
	if n.fallback != "" {
		out = append(out, n.fallback)
	}
	if n.onTimeout != "" {
		out = append(out, n.onTimeout)
	}
	return out
}

// branchTargets are the nodes a router's branch starts.
func (n *nodeSpec) branchTargets(branch string) []string {
	if ids, ok := n.branches[branch]; ok {
		return ids
	}
	return []string{n.fallback}
}

// check validates the graph; problems are those found while compiling.
func (sp *spec) check(problems []string) error {
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if sp.name == "" {
		add("a workflow needs a name")
	}
	if sp.version < 1 {
		add("version must be 1 or more")
	}
	if len(sp.order) == 0 {
		add("a workflow needs at least one node")
	}
	sp.preds = map[string][]string{}
	sp.comp = map[string]bool{}
	for _, id := range sp.order {
		n := sp.nodes[id]
		if id == "" {
			add("a node has no id")
		}
		if len(id) > 100 {
			add("node id %q is longer than 100 characters", id)
		}
		switch {
		case n.kind == kindTask && n.task == nil,
			n.kind == kindRouter && n.route == nil,
			n.kind == kindSleep && n.until == nil,
			n.kind == kindWait && n.waitKey == nil:
			add("node %q (%s) has no function", id, n.kind)
		}
		if n.kind == kindRouter && n.fallback == "" {
			add("router %q has no fallback", id)
		}
		if n.kind == kindWait {
			if n.onTimeout == "" {
				add("wait %q has no OnTimeout node", id)
			}
			if n.waitFor <= 0 {
				add("wait %q needs a positive timeout", id)
			}
		}
		for _, to := range n.edges() {
			if _, ok := sp.nodes[to]; !ok {
				add("node %q names unknown node %q", id, to)
				continue
			}
			if to == id {
				add("node %q continues to itself", id)
			}
			if !slices.Contains(sp.preds[to], id) {
				sp.preds[to] = append(sp.preds[to], id)
			}
		}
		if n.compensate != "" {
			c, ok := sp.nodes[n.compensate]
			switch {
			case !ok:
				add("node %q names unknown compensation %q", id, n.compensate)
			case c.kind != kindTask:
				add("compensation %q of %q must be a task", n.compensate, id)
			case len(c.edges()) > 0:
				add("compensation %q of %q must not continue to other nodes", n.compensate, id)
			default:
				sp.comp[n.compensate] = true
			}
		}
	}
	if len(problems) > 0 {
		return sp.problems(problems)
	}

	for _, id := range sp.order {
		if sp.nodes[id].kind == kindJoin && len(sp.preds[id]) < 2 {
			add("join %q has %d predecessor(s); a join waits for two or more", id, len(sp.preds[id]))
		}
	}
	if cycle := sp.findCycle(); cycle != nil {
		add("cycle: %v", cycle)
	}
	reached := sp.reachable(sp.start)
	if sp.comp[sp.start] {
		add("start node %q cannot be a compensation", sp.start)
	}
	for _, id := range sp.order {
		switch {
		case sp.comp[id] && reached[id] && id != sp.start:
			add("compensation %q is also on the workflow's path", id)
		case !sp.comp[id] && !reached[id]:
			add("node %q is unreachable from start node %q", id, sp.start)
		}
	}
	if len(problems) > 0 {
		return sp.problems(problems)
	}
	return nil
}

func (sp *spec) problems(list []string) error {
	errs := make([]error, len(list))
	for i, p := range list {
		errs[i] = errors.New(p)
	}
	return fmt.Errorf("workflow %s v%d: %w", sp.name, sp.version, errors.Join(errs...))
}

// findCycle returns the nodes of a cycle, or nil.
func (sp *spec) findCycle() []string {
	const (
		unseen = iota
		open
		closed
	)
	mark := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		mark[id] = open
		stack = append(stack, id)
		for _, to := range sp.nodes[id].edges() {
			switch mark[to] {
			case open:
				i := slices.Index(stack, to)
				return append(slices.Clone(stack[i:]), to)
			case unseen:
				if c := visit(to); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		mark[id] = closed
		return nil
	}
	for _, id := range sp.order {
		if mark[id] == unseen {
			if c := visit(id); c != nil {
				return c
			}
		}
	}
	return nil
}

// reachable is every node reachable from the given nodes, them included.
func (sp *spec) reachable(from ...string) map[string]bool {
	seen := map[string]bool{}
	queue := slices.Clone(from)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || sp.nodes[id] == nil {
			continue
		}
		seen[id] = true
		queue = append(queue, sp.nodes[id].edges()...)
	}
	return seen
}
