package wiring

import "cedarheights/workflows"

// Option changes what Register wires. The server uses none; each option
// exists for tests (and test-only servers) that need less or more.
type Option func(*config)

type config struct {
	noEngine   bool
	engineOpts *workflows.Options
	extra      []workflows.Definition
}

// WithoutEngine wires no workflow engine (and so none of the academy's
// workflows): for tests of the engine that build their own on a registry
// of their own.
func WithoutEngine() Option {
	return func(c *config) { c.noEngine = true }
}

// WithEngineOptions replaces the engine options read from the environment
// (workers, lease, poll interval, no mail, no schedules) with o; its
// Registry is ignored: the wiring builds the registry.
func WithEngineOptions(o workflows.Options) Option {
	return func(c *config) { c.engineOpts = &o }
}

// WithWorkflows registers extra definitions beside the academy's (a test's
// workflows, the crash test's).
func WithWorkflows(defs ...workflows.Definition) Option {
	return func(c *config) { c.extra = append(c.extra, defs...) }
}
