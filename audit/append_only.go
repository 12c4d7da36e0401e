package audit

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/spf13/cast"
)

// bindAppendOnly: entries are written by the hooks of this package only.
// Updates and deletes are refused at the model level, which also stops
// superusers, the admin UI and truncation; the API creates none (a
// superuser could otherwise forge one); the collection can be neither
// altered nor dropped through the API, and the superuser SQL console
// cannot write to it. Its schema belongs in migrations. Refusals answer
// 400, like other requests a hook turns down.
func bindAppendOnly(app core.App) {
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
			return apis.NewForbiddenError("The audit log collection is managed by migrations only.", nil)
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

var errAppendOnly = apis.NewForbiddenError("Audit log entries are append-only.", nil)

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
