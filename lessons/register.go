package lessons

import "github.com/pocketbase/pocketbase/core"

// Register binds the lesson model's record hooks to app.
func Register(app core.App) {
	bindGuard(app)
	bindClosures(app)
	bindStudentTeachers(app)
}
