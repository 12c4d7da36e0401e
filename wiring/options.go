package wiring

import (
	"cedarheights/freetime"
	"cedarheights/hooks/publicapi"
	"cedarheights/workflows"
)

// Option changes what Register wires. The server uses WithFreeTimeWarmUp;
// the others exist for tests (and test-only servers) that need less or
// more.
type Option func(*config)

type config struct {
	noEngine   bool
	engineOpts *workflows.Options
	extra      []workflows.Definition
	warm       *freetime.WarmPlan
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

// WithFreeTimeWarmUp warms the free-time cache in the background once the
// app serves (freetime.DefaultWarmPlan, with each instrument's default
// anonymous timeslots answer; FREE_TIME_WARM_UP=off skips it): the
// server's option. Tests leave it out, so what they count is their own
// requests' work.
func WithFreeTimeWarmUp() Option {
	return func(c *config) {
		plan := freetime.DefaultWarmPlan()
		plan.Answers = append(plan.Answers, publicapi.WarmTimeslots)
		c.warm = &plan
	}
}
