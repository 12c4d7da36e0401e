package workflows

import (
	"fmt"
	"slices"
	"sync"
)

// Registry holds the workflow definitions an engine can run, with their
// schedules and triggers. The wiring builds one, has each capability
// register its workflows on it, and hands it to NewEngine.
type Registry struct {
	mu        sync.RWMutex
	specs     map[string]map[int]*spec
	schedules []*schedule
	signals   []*signalTrigger
	records   []*recordTrigger
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{specs: map[string]map[int]*spec{}}
}

// Register validates and adds definitions. An invalid graph (unknown node
// ids, cycles, unreachable nodes, routers without a fallback, joins with
// one predecessor, options on the wrong kind of node) or a name and version
// already registered is an error, and nothing is added.
func (r *Registry) Register(defs ...Definition) error {
	compiled := make([]*spec, 0, len(defs))
	for _, d := range defs {
		sp, err := d.compile()
		if err != nil {
			return err
		}
		compiled = append(compiled, sp)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, sp := range compiled {
		if r.specs[sp.name][sp.version] != nil || slices.ContainsFunc(compiled[:i], func(o *spec) bool {
			return o.name == sp.name && o.version == sp.version
		}) {
			return fmt.Errorf("workflow %s v%d is already registered", sp.name, sp.version)
		}
	}
	for _, sp := range compiled {
		if r.specs[sp.name] == nil {
			r.specs[sp.name] = map[int]*spec{}
		}
		r.specs[sp.name][sp.version] = sp
	}
	return nil
}

// MustRegister is Register that panics on error (for tests and
// definitions known to be valid).
func (r *Registry) MustRegister(defs ...Definition) {
	if err := r.Register(defs...); err != nil {
		panic(err)
	}
}

// lookup returns the definition of name at version, or nil.
func (r *Registry) lookup(name string, version int) *spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.specs[name][version]
}

// latest returns the highest registered version of name, or nil.
func (r *Registry) latest(name string) *spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var best *spec
	for _, sp := range r.specs[name] {
		if best == nil || sp.version > best.version {
			best = sp
		}
	}
	return best
}

// WorkflowInfo describes a registered definition.
type WorkflowInfo struct {
	Name     string
	Versions []int
	Nodes    []string // of the latest version, start first
}

// Workflows lists the registered definitions by name.
func (r *Registry) Workflows() []WorkflowInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]WorkflowInfo, 0, len(r.specs))
	for name, versions := range r.specs {
		info := WorkflowInfo{Name: name}
		for v := range versions {
			info.Versions = append(info.Versions, v)
		}
		slices.Sort(info.Versions)
		info.Nodes = slices.Clone(versions[info.Versions[len(info.Versions)-1]].order)
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b WorkflowInfo) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}
