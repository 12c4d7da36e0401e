package records

import "github.com/pocketbase/pocketbase/core"

// Register binds the record rules to app.
func Register(app core.App) {
	bindUsers(app)
	bindValidation(app)
}
