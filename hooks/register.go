// Package hooks is the academy's HTTP surface and record hooks: the /api/v1
// routes, the audit log, validation that PocketBase's field options cannot
// express, security headers and request logs. Register binds all of it; main
// and the tests call it alike so a test app is wired exactly like production.
package hooks

import (
	"github.com/pocketbase/pocketbase/core"
)

// Register binds every hook and route of the package to app.
func Register(app core.App) {
	bindRequestBodyRestore(app)
	bindRecordHooks(app)
	bindLessonRules(app)
	bindClosureLessons(app)
	bindStudentTeachers(app)
	bindPaymentsGuard(app)
	bindMiddlewares(app)
	bindRoutes(app)
	bindCalendarFeeds(app)
	bindHealth(app)
	bindStatic(app)
}
