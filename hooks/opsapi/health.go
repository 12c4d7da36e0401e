package opsapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
)

const (
	healthOK          = "ok"
	healthDegraded    = "degraded"
	healthUnavailable = "unavailable"
	healthTimeout     = 2 * time.Second
)

// healthReport is the body of GET /health: 503 "unavailable" when a check
// fails, else 200, "degraded" when the server works but something needs
// attention (mail that is not leaving), "ok" otherwise. Everyone gets the
// status; the checks are for admins and superusers, since they map the
// deployment (billing mode, webhook secret, mail transport, migrations).
type healthReport struct {
	Status   string            `json:"status"`
	Checks   map[string]string `json:"checks,omitempty"`
	Failing  []string          `json:"failing,omitempty"`
	Degraded []string          `json:"degraded,omitempty"`
	Mail     *mailHealth       `json:"mail,omitempty"`
}

func Health(e *core.RequestEvent) error {
	ctx, cancel := context.WithTimeout(e.Request.Context(), healthTimeout)
	defer cancel()

	report := healthReport{Status: healthOK, Checks: map[string]string{}}
	type failure struct {
		name string
		err  error
	}
	var failures []failure // logged once the client is known to be there
	check := func(name string, err error, ok string) {
		if err != nil {
			failures = append(failures, failure{name, err})
			report.Checks[name] = "error: " + err.Error()
			report.Failing = append(report.Failing, name)
			return
		}
		report.Checks[name] = ok
	}

	check("database", pingDB(ctx, e.App.DB()), healthOK)
	check("aux_database", pingDB(ctx, e.App.AuxDB()), healthOK)
	applied, err := checkMigrations(ctx, e.App)
	check("migrations", err, fmt.Sprintf("ok: %d applied", applied))
	mail, problem, err := checkMail(ctx, e.App, time.Now())
	switch {
	case err != nil:
		check("mail", err, "")
	case problem != "":
		report.Checks["mail"] = healthDegraded + ": " + problem
		report.Degraded = append(report.Degraded, "mail")
		report.Mail = &mail
	default:
		report.Checks["mail"] = mail.Transport
		report.Mail = &mail
	}
	svc := billing.From(e.App)
	check("billing", svc.ConfigError(), string(svc.Mode()))
	report.Checks["billing_webhooks"] = webhookState(svc)
	// A monitor that gave up cut the checks short: that is no failure of
	// ours, and nobody reads the answer (hooks/client_gone.go logs it).
	if err := e.Request.Context().Err(); err != nil {
		return err
	}
	for _, f := range failures {
		e.App.Logger().Error("health check failed", "check", f.name, "error", f.err)
	}

	status := http.StatusOK
	switch {
	case len(report.Failing) > 0:
		report.Status, status = healthUnavailable, http.StatusServiceUnavailable
	case len(report.Degraded) > 0:
		report.Status = healthDegraded
	}
	if !seesHealthDetails(e) {
		report = healthReport{Status: report.Status}
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(status, report)
}

// seesHealthDetails: admins (role admin) and superusers.
func seesHealthDetails(e *core.RequestEvent) bool {
	if e.HasSuperuserAuth() {
		return true
	}
	return e.Auth != nil && e.Auth.Collection().Name == "users" && e.Auth.GetString("role") == "admin"
}

func pingDB(ctx context.Context, db dbx.Builder) error {
	var one int
	if err := db.NewQuery("SELECT 1").WithContext(ctx).Row(&one); err != nil {
		return fmt.Errorf("query failed")
	}
	return nil
}

// checkMigrations compares every registered migration (PocketBase's and
// ours) with the _migrations table.
func checkMigrations(ctx context.Context, app core.App) (int, error) {
	var files []string
	err := app.DB().Select("file").From(core.DefaultMigrationsTable).WithContext(ctx).Column(&files)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s", core.DefaultMigrationsTable)
	}
	applied := make(map[string]bool, len(files))
	for _, f := range files {
		applied[f] = true
	}
	var pending []string
	for _, list := range []core.MigrationsList{core.SystemMigrations, core.AppMigrations} {
		for _, m := range list.Items() {
			if !applied[m.File] {
				pending = append(pending, m.File)
			}
		}
	}
	if len(pending) > 0 {
		sort.Strings(pending)
		return 0, fmt.Errorf("%d pending: %s", len(pending), strings.Join(pending, ", "))
	}
	return len(files), nil
}

// webhookState says whether Stripe's webhook deliveries can be verified;
// without a secret they are all refused (not a failure: offline billing
// needs none).
func webhookState(svc *billing.Service) string {
	if svc.WebhooksEnabled() {
		return "signed deliveries accepted"
	}
	return "refused (" + billing.EnvWebhookSecret + " not set)"
}
