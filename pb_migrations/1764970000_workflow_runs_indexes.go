package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Issue 14: a run's row is written at its start, at every checkpoint and
// at its end, and each index over a column that changes (status, the
// lease) is rewritten with it. Three of them served no query an index on
// the other columns does not:
//
//   - (status, lease_until): the claim of expired leases reads the runs
//     pending or running (status, wake_at's prefix) and checks their lease;
//   - lease_owner: freeing a dead process's leases (at start) and this
//     process's (at shutdown) reads the runs that have not ended (the
//     same prefix); renewing reads runs by id;
//   - (name, status): a list by name is one by name, newest first, which
//     (name, created) answers without ever being rewritten (neither column
//     changes).
const (
	runsNameIndex       = "idx_workflow_runs_name_created"
	runsStatusLease     = "idx_workflow_runs_status_lease"
	runsLeaseOwnerIndex = "idx_workflow_runs_lease_owner"
	runsNameStatus      = "idx_workflow_runs_name_status"
)

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("workflow_runs")
		if err != nil {
			return err
		}
		c.RemoveIndex(runsStatusLease)
		c.RemoveIndex(runsLeaseOwnerIndex)
		c.RemoveIndex(runsNameStatus)
		if c.GetIndex(runsNameIndex) == "" {
			c.AddIndex(runsNameIndex, false, "`name`, `created`", "")
		}
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("workflow_runs")
		if err != nil {
			return err
		}
		c.RemoveIndex(runsNameIndex)
		c.AddIndex(runsStatusLease, false, "`status`, `lease_until`", "")
		c.AddIndex(runsLeaseOwnerIndex, false, "`lease_owner`", "`lease_owner` != ''")
		c.AddIndex(runsNameStatus, false, "`name`, `status`", "")
		return app.Save(c)
	})
}
