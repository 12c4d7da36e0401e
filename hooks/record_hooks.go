package hooks

import "github.com/pocketbase/pocketbase/core"

// bindRecordHooks binds the model-level hooks (audit log, defaults,
// validation). They run on every write path: REST, admin UI, Go code.
func bindRecordHooks(app core.App) {
	bindAudit(app)
	bindUsers(app)
	bindValidation(app)
}
