package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Collections of the durable workflow engine (workflows/): runs and their
// steps, the inbox of external events, cron schedule slots and the email
// outbox. Only the engine writes them; clients read runs and steps under the
// rules below and steer runs through /api/v1/workflows (whose access is the
// runs' UpdateRule).
const (
	idWorkflowRuns      = "pbc_workflow_runs"
	idWorkflowSteps     = "pbc_workflow_steps"
	idWorkflowEvents    = "pbc_workflow_events"
	idWorkflowSchedules = "pbc_workflow_schedules"
	idEmailOutbox       = "pbc_email_outbox"
)

func init() {
	m.Register(func(app core.App) error {
		for _, build := range []func() *core.Collection{
			workflowRunsCollection, workflowStepsCollection, workflowEventsCollection,
			workflowSchedulesCollection, emailOutboxCollection,
		} {
			if err := app.Save(build()); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, id := range []string{idEmailOutbox, idWorkflowSchedules, idWorkflowEvents, idWorkflowSteps, idWorkflowRuns} {
			if c, err := app.FindCollectionByNameOrId(id); err == nil {
				if err := app.Delete(c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var workflowRunStatuses = []string{
	"pending", "running", "sleeping", "waiting",
	"completed", "failed", "cancelled", "dead_letter", "version_missing",
}

// workflowRunsCollection: one record per run. The engine keeps its
// checkpoint here (state, ready and done nodes, progress) and its lease;
// input, state and progress are hidden (superusers and the CLI see them) so
// that a family following its run reads status, result and error only.
func workflowRunsCollection() *core.Collection {
	c := core.NewBaseCollection("workflow_runs", idWorkflowRuns)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 100, Presentable: true},
		&core.NumberField{Name: "version", OnlyInt: true, Min: ptr(1.0)},
		&core.SelectField{Name: "status", Values: workflowRunStatuses, MaxSelect: 1, Required: true, Presentable: true},
		&core.TextField{Name: "subject", Max: 200, Presentable: true, Help: "what the run is about, e.g. lessons:<id>"},
		relation("owner", "_pb_users_auth_", false),
		&core.TextField{Name: "idempotency_key", Max: 255},
		&core.JSONField{Name: "input", MaxSize: 1 << 20, Hidden: true},
		&core.JSONField{Name: "state", MaxSize: 4 << 20, Hidden: true},
		&core.JSONField{Name: "result", MaxSize: 1 << 20},
		&core.TextField{Name: "error", Max: 5000},
		&core.JSONField{Name: "ready", MaxSize: 1 << 16, Help: "nodes ready to run"},
		&core.JSONField{Name: "done", MaxSize: 1 << 16, Help: "completed nodes, in order"},
		&core.JSONField{Name: "progress", MaxSize: 1 << 20, Hidden: true, Help: "attempts, timers, wait, compensation"},
		&core.TextField{Name: "lease_owner", Max: 200},
		&core.DateField{Name: "lease_until"},
		&core.DateField{Name: "wake_at"},
		&core.TextField{Name: "wait_key", Max: 255},
		&core.DateField{Name: "wait_deadline"},
		&core.DateField{Name: "started"},
		&core.DateField{Name: "finished"},
		created(), updated(),
	)
	c.AddIndex("idx_workflow_runs_idempotency", true, "`idempotency_key`", "`idempotency_key` != ''")
	c.AddIndex("idx_workflow_runs_status_wake", false, "`status`, `wake_at`", "")
	c.AddIndex("idx_workflow_runs_status_lease", false, "`status`, `lease_until`", "")
	c.AddIndex("idx_workflow_runs_lease_owner", false, "`lease_owner`", "`lease_owner` != ''")
	c.AddIndex("idx_workflow_runs_wait_key", false, "`wait_key`", "`wait_key` != ''")
	c.AddIndex("idx_workflow_runs_name_status", false, "`name`, `status`", "")
	c.AddIndex("idx_workflow_runs_owner", false, "`owner`", "")
	c.AddIndex("idx_workflow_runs_subject", false, "`subject`", "")
	c.AddIndex("idx_workflow_runs_created", false, "`created`", "")

	// A family reads the runs started on its behalf; admins read all and
	// may retry, resume or cancel (the routes check UpdateRule; the record
	// API refuses client writes, see workflows/guard.go).
	c.ListRule = rule(or(isParent+" && owner = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	c.UpdateRule = rule(isAdmin)
	return c
}

// workflowStepsCollection: one record per node attempt.
func workflowStepsCollection() *core.Collection {
	c := core.NewBaseCollection("workflow_steps", idWorkflowSteps)
	c.Fields.Add(
		&core.RelationField{Name: "run", CollectionId: idWorkflowRuns, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.TextField{Name: "node", Required: true, Max: 100, Presentable: true},
		&core.NumberField{Name: "attempt", OnlyInt: true, Min: ptr(1.0)},
		&core.SelectField{Name: "status", Values: []string{"completed", "retrying", "failed"}, MaxSelect: 1, Required: true, Presentable: true},
		&core.JSONField{Name: "output", MaxSize: 1 << 20, Hidden: true, Help: "state fields the node changed, the branch taken or the event received"},
		&core.TextField{Name: "error", Max: 5000},
		&core.DateField{Name: "started"},
		&core.DateField{Name: "finished"},
		&core.NumberField{Name: "duration_ms", Min: minZero()},
		created(),
	)
	c.AddIndex("idx_workflow_steps_run", false, "`run`, `created`", "")
	c.ListRule = rule(or(isParent+" && run.owner = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	return c
}

// workflowEventsCollection is the inbox of external events (a webhook, a
// reply): a waiting run consumes the oldest unconsumed event with its key,
// also one that arrived before it started waiting.
func workflowEventsCollection() *core.Collection {
	c := core.NewBaseCollection("workflow_events", idWorkflowEvents)
	c.Fields.Add(
		&core.TextField{Name: "key", Required: true, Max: 255, Presentable: true},
		&core.TextField{Name: "event_id", Max: 255, Help: "the sender's id; a repeat is ignored"},
		&core.JSONField{Name: "payload", MaxSize: 1 << 20, Hidden: true},
		&core.TextField{Name: "consumed_by", Max: 100, Help: "run id"},
		&core.TextField{Name: "consumed_node", Max: 100},
		&core.DateField{Name: "consumed_at"},
		created(),
	)
	c.AddIndex("idx_workflow_events_event_id", true, "`event_id`", "`event_id` != ''")
	c.AddIndex("idx_workflow_events_open", false, "`key`, `created`", "`consumed_by` = ''")
	c.ListRule = rule(isAdmin)
	c.ViewRule = c.ListRule
	return c
}

// workflowSchedulesCollection keeps the last fired slot of each cron
// schedule, so a slot fires once across restarts and a missed one catches up.
func workflowSchedulesCollection() *core.Collection {
	c := core.NewBaseCollection("workflow_schedules", idWorkflowSchedules)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 100, Presentable: true},
		&core.TextField{Name: "cron", Max: 100},
		&core.TextField{Name: "workflow", Max: 100},
		&core.DateField{Name: "last_slot"},
		&core.TextField{Name: "last_run", Max: 100},
		created(), updated(),
	)
	c.AddIndex("idx_workflow_schedules_name", true, "`name`", "")
	c.ListRule = rule(isAdmin)
	c.ViewRule = c.ListRule
	return c
}

// emailOutboxCollection: mail waits here until the sender loop hands it to
// the mailer; nodes enqueue (idempotently, by key), never send.
func emailOutboxCollection() *core.Collection {
	c := core.NewBaseCollection("email_outbox", idEmailOutbox)
	c.Fields.Add(
		&core.TextField{Name: "to", Required: true, Max: 1000, Presentable: true, Help: "comma-separated addresses"},
		&core.TextField{Name: "subject", Required: true, Max: 500, Presentable: true},
		&core.TextField{Name: "html", Max: 200_000},
		&core.TextField{Name: "text", Max: 200_000},
		&core.SelectField{Name: "status", Values: []string{"pending", "sent", "failed"}, MaxSelect: 1, Required: true},
		&core.NumberField{Name: "attempts", OnlyInt: true, Min: minZero()},
		&core.TextField{Name: "last_error", Max: 5000},
		&core.TextField{Name: "idempotency_key", Required: true, Max: 255},
		&core.DateField{Name: "next_attempt"},
		&core.DateField{Name: "sent_at"},
		created(), updated(),
	)
	c.AddIndex("idx_email_outbox_idempotency", true, "`idempotency_key`", "")
	c.AddIndex("idx_email_outbox_due", false, "`status`, `next_attempt`", "")
	c.ListRule = rule(isAdmin)
	c.ViewRule = c.ListRule
	return c
}
