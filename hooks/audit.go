package hooks

import (
	"net/http"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/apis"
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

	// Actors that are not a signed-in record.
	actorSystem = "system" // Go code: CLI, migrations, workflows
	actorGuest  = "guest"  // an anonymous request, i.e. self sign-up

	// auditStampKey holds the request's auditInfo on the record being
	// written. It is custom record data: field names are \w+ so it never
	// clashes with a field, it is exported neither to the DB nor to JSON,
	// and the API's upsert form loads known fields only, so a client cannot
	// forge it (nor can other packages: auditInfo is unexported).
	auditStampKey = "@audit"

	// Outermost on the Execute hooks: whatever else runs there (the
	// availability overlap check, PocketBase's own write) runs inside the
	// audit transaction.
	auditPriority = -100
)

// auditInfo says who acts. Model hooks get no request context (the API saves
// with context.Background()), so request hooks stamp it on the record.
type auditInfo struct {
	actor, requestID, ip string
}

func requestAuditInfo(e *core.RequestEvent) auditInfo {
	actor := actorGuest
	if e.Auth != nil {
		actor = e.Auth.Collection().Name + ":" + e.Auth.Id
	}
	requestID, _ := e.Get(RequestIDKey).(string)
	return auditInfo{actor: actor, requestID: requestID, ip: e.RealIP()}
}

func bindAudit(app core.App) {
	stamp := func(e *core.RecordRequestEvent) error {
		e.Record.Set(auditStampKey, requestAuditInfo(e.RequestEvent))
		return e.Next()
	}
	app.OnRecordCreateRequest(auditedCollections...).BindFunc(stamp)
	app.OnRecordUpdateRequest(auditedCollections...).BindFunc(stamp)
	app.OnRecordDeleteRequest(auditedCollections...).BindFunc(stamp)

	// Confirmations by emailed token: the account holder changes its own
	// record without being signed in.
	selfStamp := func(e *core.RequestEvent, r *core.Record) {
		info := requestAuditInfo(e)
		info.actor = r.Collection().Name + ":" + r.Id
		r.Set(auditStampKey, info)
	}
	app.OnRecordConfirmPasswordResetRequest("users").BindFunc(func(e *core.RecordConfirmPasswordResetRequestEvent) error {
		selfStamp(e.RequestEvent, e.Record)
		return e.Next()
	})
	app.OnRecordConfirmVerificationRequest("users").BindFunc(func(e *core.RecordConfirmVerificationRequestEvent) error {
		selfStamp(e.RequestEvent, e.Record)
		return e.Next()
	})
	app.OnRecordConfirmEmailChangeRequest("users").BindFunc(func(e *core.RecordConfirmEmailChangeRequestEvent) error {
		selfStamp(e.RequestEvent, e.Record)
		return e.Next()
	})

	app.OnRecordCreateExecute(auditedCollections...).Bind(auditHandler(actionCreate))
	app.OnRecordUpdateExecute(auditedCollections...).Bind(auditHandler(actionUpdate))
	app.OnRecordDeleteExecute(auditedCollections...).Bind(auditHandler(actionDelete))

	bindAuditAppendOnly(app)
}

func auditHandler(action string) *hook.Handler[*core.RecordEvent] {
	return &hook.Handler[*core.RecordEvent]{
		Id:       "academyAudit_" + action,
		Priority: auditPriority,
		Func: func(e *core.RecordEvent) error {
			info, stamped := actingFor(e)
			return inTransaction(e, func() error {
				if stamped {
					defer actInTransaction(e.App, info)()
				}
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
				return writeAudit(e.App, action, e.Record, info, recordChanges(before, afterOf(action, e.Record)))
			})
		},
	}
}

func afterOf(action string, r *core.Record) *core.Record {
	if action == actionDelete {
		return nil
	}
	return r
}

func writeAudit(txApp core.App, action string, r *core.Record, info auditInfo, changes map[string]any) error {
	c, err := txApp.FindCachedCollectionByNameOrId(auditCollection)
	if err != nil {
		return err // fail closed: no write without its audit entry
	}
	entry := core.NewRecord(c)
	entry.Set("actor", info.actor)
	entry.Set("action", action)
	entry.Set("collection", r.Collection().Name)
	entry.Set("record", r.Id)
	entry.Set("changes", changes)
	entry.Set("request_id", info.requestID)
	entry.Set("ip", info.ip)
	return txApp.Save(entry)
}

// inTransaction runs fn with e.App switched to a transaction (the current
// one when e.App already is one), so that fn's reads see, and its writes
// commit or roll back with, the record's own write.
func inTransaction(e *core.RecordEvent, fn func() error) error {
	original := e.App
	err := original.RunInTransaction(func(txApp core.App) error {
		e.App = txApp
		return fn()
	})
	e.App = original
	return err
}

// -------------------------------------------------------------------
// Who acts inside a transaction

// txActors remembers who acts in a running transaction, so that records
// written inside it without a stamp of their own (cascade deletes, records
// saved by route code through AuditedTransaction) are attributed to that
// actor instead of "system". Keyed by the transaction's app; PocketBase
// hands the same one to nested RunInTransaction calls.
var txActors sync.Map

func actInTransaction(txApp core.App, info auditInfo) (restore func()) {
	prev, had := txActors.Load(txApp)
	txActors.Store(txApp, info)
	return func() {
		if had {
			txActors.Store(txApp, prev)
		} else {
			txActors.Delete(txApp)
		}
	}
}

// actingFor resolves the actor of a model event: the record's own stamp,
// else the transaction's actor, else system.
func actingFor(e *core.RecordEvent) (info auditInfo, stamped bool) {
	if info, ok := e.Record.GetRaw(auditStampKey).(auditInfo); ok {
		return info, true
	}
	if info, ok := txActors.Load(e.App); ok {
		return info.(auditInfo), false
	}
	return auditInfo{actor: actorSystem}, false
}

// AuditedTransaction runs fn in a transaction whose writes to audited
// collections are attributed to e's signed-in actor, request id and IP.
// Route handlers that save records themselves use it instead of
// e.App.RunInTransaction; fn must use only txApp.
func AuditedTransaction(e *core.RequestEvent, fn func(txApp core.App) error) error {
	info := requestAuditInfo(e)
	return e.App.RunInTransaction(func(txApp core.App) error {
		defer actInTransaction(txApp, info)()
		return fn(txApp)
	})
}

// -------------------------------------------------------------------
// Append-only

// bindAuditAppendOnly: entries are written by the hooks above only. Updates
// and deletes are refused at the model level, which also stops superusers,
// the admin UI and truncation; the API creates none (a superuser could
// otherwise forge one); the collection can be neither altered nor dropped
// through the API, and the superuser SQL console cannot write to it. Its
// schema belongs in migrations. Refusals answer 400, like other requests a
// hook turns down.
func bindAuditAppendOnly(app core.App) {
	refuse := func(e *core.RecordEvent) error {
		return errAppendOnly
	}
	app.OnRecordUpdate(auditCollection).BindFunc(refuse)
	app.OnRecordDelete(auditCollection).BindFunc(refuse)

	app.OnRecordCreateRequest(auditCollection).BindFunc(func(e *core.RecordRequestEvent) error {
		return errAppendOnly
	})

	refuseCollection := func(e *core.CollectionRequestEvent) error {
		if e.Collection.Name == auditCollection {
			return apis.NewBadRequestError("The audit log collection is managed by migrations only.", nil)
		}
		return e.Next()
	}
	app.OnCollectionUpdateRequest().BindFunc(refuseCollection)
	app.OnCollectionDeleteRequest().BindFunc(refuseCollection)

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:   "academyAuditSQLGuard",
			Func: guardAuditSQL,
		})
		return se.Next()
	})
}

var errAppendOnly = apis.NewBadRequestError("Audit log entries are append-only.", nil)

// guardAuditSQL refuses superuser SQL (POST /api/sql) that mentions the
// audit log unless it is a single SELECT. SQLite cannot name a table
// dynamically, so a statement that writes audit_logs must spell it.
func guardAuditSQL(e *core.RequestEvent) error {
	if e.Request.Method != http.MethodPost || e.Request.URL.Path != "/api/sql" {
		return e.Next()
	}
	info, err := e.RequestInfo()
	if err != nil {
		return e.Next() // the handler reports the unreadable body
	}
	if sqlMayWriteAuditLog(cast.ToString(info.Body["query"])) {
		return errAppendOnly
	}
	return e.Next()
}

func sqlMayWriteAuditLog(query string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	if !strings.Contains(q, auditCollection) {
		return false
	}
	single := !strings.Contains(strings.TrimRight(q, "; \t\r\n"), ";")
	return !(single && strings.HasPrefix(q, "select"))
}
