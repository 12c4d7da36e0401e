package hooks

import "github.com/pocketbase/pocketbase/core"

// bindRecordHooks binds the model-level hooks (defaults, validation). They
// run on every write path: REST, admin UI, Go code.
func bindRecordHooks(app core.App) {
	bindUsers(app)
	bindValidation(app)
}
