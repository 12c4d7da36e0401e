package wiring

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/apispec"
	"cedarheights/audit"
	"cedarheights/billing"
	"cedarheights/enrollment"
	"cedarheights/freetime"
	"cedarheights/hooks"
	"cedarheights/lessons"
	"cedarheights/notify"
	"cedarheights/offers"
	"cedarheights/records"
	"cedarheights/workflows"
)

// Register wires app: the audit log first (its hooks are outermost on
// every write), then the model's record rules (records, lessons), billing,
// the workflow engine with the academy's workflows, and last the HTTP
// surface (its catch-all static
// route must come after every other route). An error is a programming
// error (a workflow registered twice, an invalid graph) or a bad SMTP_*
// variable.
func Register(app core.App, opts ...Option) error {
	var c config
	for _, o := range opts {
		o(&c)
	}

	// SMTP_* from the environment win over the stored mail settings.
	if err := workflows.BindSMTPEnv(app); err != nil {
		return fmt.Errorf("wiring: %w", err)
	}
	audit.Register(app)
	records.Register(app)
	lessons.Register(app)
	freetime.Register(app)
	if c.warm != nil {
		freetime.WarmOnServe(app, *c.warm)
	}
	billing.Register(app)
	enrollment.Register(app)
	if !c.noEngine {
		if err := registerEngine(app, c); err != nil {
			return err
		}
	}
	hooks.Register(app, routes)
	// Test suites that drive the built server hold it to the API description.
	return apispec.BindFromEnv(app)
}

// registerEngine builds the workflow registry (the academy's workflows,
// then any a test or test server adds) and the engine that runs it.
func registerEngine(app core.App, c config) error {
	reg := workflows.NewRegistry()
	for _, add := range []func(*workflows.Registry) error{notify.Workflows, billing.Workflows, enrollment.Workflows, offers.Workflows} {
		if err := add(reg); err != nil {
			return fmt.Errorf("wiring: %w", err)
		}
	}
	if len(c.extra) > 0 {
		if err := reg.Register(c.extra...); err != nil {
			return fmt.Errorf("wiring: %w", err)
		}
	}
	engineOpts := workflows.OptionsFromEnv()
	if c.engineOpts != nil {
		engineOpts = *c.engineOpts
	}
	engineOpts.Registry = reg
	workflows.NewEngine(app, engineOpts)
	return nil
}
