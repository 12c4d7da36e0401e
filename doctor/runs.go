package doctor

import (
	"fmt"
)

// runs.go: every workflow run is finished, or something will move it on
// (workflows/lease.go's dueCondition is what the workers pick up):
//   - pending: queued; a worker claims it when one runs;
//   - running: owned by a live lease (lease_owner, lease_until ahead); a
//     lease that ran out means its worker died, and the next engine to
//     start reclaims it: attention, not a violation;
//   - sleeping: has a timer (wake_at);
//   - waiting: awaits an event (wait_key) or has a deadline (wake_at);
//   - finished (completed, failed, cancelled, dead_letter): has its finish
//     time and holds no lease; a dead letter needs an operator (attention);
//   - version_missing: its workflow version is no longer registered: an
//     operator decides (attention).

type runRule struct {
	code  string
	sev   Severity
	where string
	msg   string
}

var runRules = []runRule{
	{"workflow_run_lease_expired", Attention,
		"status = 'running' AND (lease_owner = '' OR lease_until = '' OR lease_until < {:now})",
		"is running but no live lease owns it (lease %[3]q until %[4]s): its worker stopped; the next engine to start takes it over."},
	{"workflow_run_sleeping_without_timer", Violation,
		"status = 'sleeping' AND wake_at = ''",
		"sleeps with no timer (wake_at): nothing will ever wake it."},
	{"workflow_run_waiting_without_event", Violation,
		"status = 'waiting' AND wait_key = '' AND wake_at = ''",
		"waits with neither an event key nor a deadline: nothing will ever wake it."},
	{"workflow_run_finished_without_time", Violation,
		"status IN ('completed', 'failed', 'cancelled', 'dead_letter') AND finished = ''",
		"is %[2]s but has no finish time."},
	{"workflow_run_finished_with_lease", Violation,
		"status IN ('completed', 'failed', 'cancelled', 'dead_letter') AND lease_owner != '' AND lease_until > {:now}",
		"is %[2]s but still holds a live lease (%[3]q)."},
	{"workflow_run_dead_letter", Attention,
		"status = 'dead_letter'",
		"is a dead letter (%[5]s): retry or cancel it (cedarheights workflows, or the admin routes)."},
	{"workflow_run_version_missing", Attention,
		"status = 'version_missing'",
		"names a workflow version this build does not register."},
}

func checkRuns(c *checker) error {
	for _, rule := range runRules {
		var rows []struct {
			ID         string `db:"id"`
			Name       string `db:"name"`
			Status     string `db:"status"`
			LeaseOwner string `db:"lease_owner"`
			LeaseUntil string `db:"lease_until"`
			Error      string `db:"error"`
		}
		err := c.app.DB().NewQuery("SELECT id, name, status, lease_owner, lease_until, substr(error, 1, 200) AS error FROM workflow_runs WHERE " + rule.where).
			Bind(map[string]any{"now": c.nowDB()}).All(&rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			msg := fmt.Sprintf("Workflow run %[1]s ("+r.Name+") "+rule.msg, r.ID, r.Status, r.LeaseOwner, r.LeaseUntil, r.Error)
			c.add(rule.code, rule.sev, msg, ref("workflow_runs", r.ID))
		}
	}
	var open, all int
	if err := c.app.DB().NewQuery(`SELECT COUNT(*), COALESCE(SUM(status NOT IN ('completed', 'failed', 'cancelled', 'dead_letter')), 0) FROM workflow_runs`).Row(&all, &open); err != nil {
		return err
	}
	c.report.Counts["workflow_runs"] = all
	c.report.Counts["workflow_runs_open"] = open
	return nil
}
