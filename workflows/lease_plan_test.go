package workflows_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// TestLeaseQueriesUseAnIndex: freeing leases (at start and at shutdown)
// and claiming expired ones read an index, not every run ever made:
// lease_owner has no index of its own since migration 1764970000, so each
// says which runs can hold a lease (those that have not ended).
func TestLeaseQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t, wiring.WithoutEngine())
	queries := map[string]*dbx.Query{
		"claim of expired leases": app.DB().NewQuery("SELECT id FROM workflow_runs WHERE status IN ('pending','running') " +
			"AND (lease_owner = '' OR lease_until < {:now})").Bind(dbx.Params{"now": "2026-12-07 12:00:00.000Z"}),
		"claim of due timers": app.DB().NewQuery("SELECT id FROM workflow_runs WHERE status IN ('sleeping','waiting') " +
			"AND wake_at != '' AND wake_at <= {:now}").Bind(dbx.Params{"now": "2026-12-07 12:00:00.000Z"}),
	}
	for name, where := range workflows.LeaseWheres("host:1:nonce") {
		queries[name] = app.DB().Select("id").From("workflow_runs").Where(where).Build()
	}
	for name, q := range queries {
		var plan []struct {
			Detail string `db:"detail"`
		}
		if err := app.DB().NewQuery("EXPLAIN QUERY PLAN " + q.SQL()).Bind(q.Params()).All(&plan); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, step := range plan {
			if strings.HasPrefix(step.Detail, "SCAN workflow_runs") {
				t.Errorf("%s reads every run: %s\n%s", name, step.Detail, q.SQL())
			}
		}
	}
}
