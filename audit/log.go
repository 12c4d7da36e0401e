package audit

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/spf13/cast"
)

// auditedCollections are the domain collections whose every create, update
// and delete writes one audit_logs entry in the same transaction, whatever
// the path: REST, the admin UI (REST as a superuser) or Go code.
var auditedCollections = []string{
	"instruments", "rooms", "teachers", "availability", "time_off", "closures",
	"students", "lessons", "lesson_private_notes", "pricing_plans",
	"enrollments", "payments", "academy", "users", "makeup_credits",
	"ledger_entries", "billing_customers",
}

const (
	auditCollection = "audit_logs"

	actionCreate = "create"
	actionUpdate = "update"
	actionDelete = "delete"

	// Outermost on the record hooks: whatever else runs there (the lesson
	// guard, the availability overlap check, PocketBase's own write) runs
	// with the actor's app and inside the audit transaction.
	auditPriority = -100
)

// Register binds the audit log to app: the request stamps, the actor's
// app around every record write, the entries and the append-only guard.
func Register(app core.App) {
	bindRequestStamps(app)

	// Every record write (audited or not: its hooks may write audited
	// records) runs its hooks with an app recorded as the write's actor.
	app.OnRecordCreate().Bind(actingHandler("create"))
	app.OnRecordUpdate().Bind(actingHandler("update"))
	app.OnRecordDelete().Bind(actingHandler("delete"))

	app.OnRecordCreateExecute(auditedCollections...).Bind(entryHandler(actionCreate))
	app.OnRecordUpdateExecute(auditedCollections...).Bind(entryHandler(actionUpdate))
	app.OnRecordDeleteExecute(auditedCollections...).Bind(entryHandler(actionDelete))

	bindAppendOnly(app)
}

// bindRequestStamps stamps the caller on the records the record API
// writes (model hooks get no request).
func bindRequestStamps(app core.App) {
	stampCaller := func(e *core.RecordRequestEvent) error {
		setStamp(e.Record, RequestActor(e.RequestEvent))
		return e.Next()
	}
	app.OnRecordCreateRequest(auditedCollections...).BindFunc(stampCaller)
	app.OnRecordUpdateRequest(auditedCollections...).BindFunc(stampCaller)
	app.OnRecordDeleteRequest(auditedCollections...).BindFunc(stampCaller)

	// Confirmations by emailed token: the account holder changes its own
	// record without being signed in.
	stampSelf := func(e *core.RequestEvent, r *core.Record) {
		actor := RequestActor(e)
		actor.Name = r.Collection().Name + ":" + r.Id
		setStamp(r, actor)
	}
	app.OnRecordConfirmPasswordResetRequest("users").BindFunc(func(e *core.RecordConfirmPasswordResetRequestEvent) error {
		stampSelf(e.RequestEvent, e.Record)
		return e.Next()
	})
	app.OnRecordConfirmVerificationRequest("users").BindFunc(func(e *core.RecordConfirmVerificationRequestEvent) error {
		stampSelf(e.RequestEvent, e.Record)
		return e.Next()
	})
	app.OnRecordConfirmEmailChangeRequest("users").BindFunc(func(e *core.RecordConfirmEmailChangeRequestEvent) error {
		stampSelf(e.RequestEvent, e.Record)
		return e.Next()
	})
}

// actorFor is the actor of a record event: the record's stamp, else the
// actor of the app it is written through, else system.
func actorFor(e *core.RecordEvent) (Actor, bool) {
	if a, ok := stampOf(e.Record); ok {
		return a, true
	}
	if a, ok := actorOf(e.App); ok {
		return a, true
	}
	return System, false
}

// actingHandler runs the rest of a record write (its hooks, validation and
// the write itself) with e.App recorded as the write's actor, so the
// writes those hooks make are recorded as that actor too.
func actingHandler(kind string) *hook.Handler[*core.RecordEvent] {
	return &hook.Handler[*core.RecordEvent]{
		Id:       "academyAuditActor_" + kind,
		Priority: auditPriority,
		Func: func(e *core.RecordEvent) error {
			actor, known := actorFor(e)
			if !known {
				return e.Next()
			}
			original := e.App
			e.App = actingAs(e.App, actor)
			err := e.Next()
			e.App = original
			return err
		},
	}
}

// entryHandler writes the audit entry of a write in the write's own
// transaction (the current one when e.App already is one).
func entryHandler(action string) *hook.Handler[*core.RecordEvent] {
	return &hook.Handler[*core.RecordEvent]{
		Id:       "academyAudit_" + action,
		Priority: auditPriority,
		Func: func(e *core.RecordEvent) error {
			actor, _ := actorFor(e)
			original := e.App
			err := original.RunInTransaction(func(txApp core.App) error {
				e.App = actingAs(txApp, actor)
				var before *core.Record
				if action != actionCreate {
					found, err := e.App.FindRecordById(e.Record.Collection(), cast.ToString(e.Record.LastSavedPK()))
					switch {
					case err == nil:
						before = found
					case action == actionDelete:
						before = e.Record
					default:
						return err
					}
				}
				if err := e.Next(); err != nil {
					return err
				}
				return writeEntry(txApp, action, e.Record, actor, recordChanges(before, afterOf(action, e.Record)))
			})
			e.App = original
			return err
		},
	}
}

func afterOf(action string, r *core.Record) *core.Record {
	if action == actionDelete {
		return nil
	}
	return r
}

func writeEntry(txApp core.App, action string, r *core.Record, actor Actor, changes map[string]any) error {
	c, err := txApp.FindCachedCollectionByNameOrId(auditCollection)
	if err != nil {
		return err // fail closed: no write without its audit entry
	}
	return txApp.Save(newEntry(c, action, r, actor, changes))
}

// CreateEntry is the unsaved audit entry that saving the new record r as
// actor writes, for a bulk loader that inserts rows itself and must leave
// the same log as a save (the loader sets its id and dates as a save does).
func CreateEntry(app core.App, r *core.Record, actor Actor) (*core.Record, error) {
	c, err := app.FindCachedCollectionByNameOrId(auditCollection)
	if err != nil {
		return nil, err
	}
	return newEntry(c, actionCreate, r, actor, recordChanges(nil, r)), nil
}

func newEntry(c *core.Collection, action string, r *core.Record, actor Actor, changes map[string]any) *core.Record {
	entry := core.NewRecord(c)
	entry.Set("actor", actor.Name)
	entry.Set("action", action)
	entry.Set("collection", r.Collection().Name)
	entry.Set("record", r.Id)
	entry.Set("changes", changes)
	entry.Set("request_id", actor.RequestID)
	entry.Set("ip", actor.IP)
	return entry
}

// Collections lists the audited collections (a copy): every create,
// update and delete of their records has its entry.
func Collections() []string { return slices.Clone(auditedCollections) }
