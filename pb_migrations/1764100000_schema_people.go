package migrations

import (
	"github.com/pocketbase/pocketbase/core"
)

// usersCollection extends PocketBase's default auth collection with the
// academy's roles. Self sign-up can only ever produce a parent; the rule
// checks the submitted body and records/users.go fills the default.
func usersCollection(app core.App) (*core.Collection, error) {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}

	users.Fields.Add(&core.SelectField{
		Name:      "role",
		Values:    []string{"admin", "teacher", "parent"},
		MaxSelect: 1,
	})
	users.Fields.Add(&core.TextField{Name: "phone", Max: 32, Pattern: `^\+?[0-9 ()\-.]{5,31}$`})
	users.Fields.Add(&core.TextField{Name: "timezone", Max: 64, Help: "IANA time zone, e.g. America/Vancouver"})
	users.AddIndex("idx_users_role", false, "`role`", "")

	self := "id = @request.auth.id"
	roleUnchanged := `@request.body.role:isset = false || @request.body.role = role`
	users.ListRule = rule(or(self, isAdmin))
	users.ViewRule = rule(or(self, isAdmin))
	users.CreateRule = rule(or(`@request.body.role:isset = false || @request.body.role = "parent"`, isAdmin))
	users.UpdateRule = rule(or(self+" && ("+roleUnchanged+")", isAdmin))
	users.DeleteRule = rule(isAdmin)
	return users, nil
}

func teachersCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("teachers", idTeachers)
	c.Fields.Add(
		relation("user", "_pb_users_auth_", true),
		&core.TextField{Name: "display_name", Required: true, Max: 100, Presentable: true},
		&core.EditorField{Name: "bio", MaxSize: 20000},
		&core.FileField{Name: "photo", MaxSelect: 1, MaxSize: 5 << 20, MimeTypes: []string{"image/jpeg", "image/png", "image/webp"}, Thumbs: []string{"200x200"}},
		&core.RelationField{Name: "instruments", CollectionId: idInstruments, MaxSelect: 20},
		&core.SelectField{Name: "lesson_lengths", Values: []string{"30", "45", "60", "90"}, MaxSelect: 4, Required: true},
		&core.NumberField{Name: "capacity", OnlyInt: true, Min: minZero(), Max: ptr(200.0)},
		&core.SelectField{Name: "levels", Values: levels, MaxSelect: len(levels)},
		&core.BoolField{Name: "public"},
		&core.BoolField{Name: "active"},
		created(), updated(),
	)
	c.AddIndex("idx_teachers_user", true, "`user`", "")
	c.AddIndex("idx_teachers_public_active", false, "`public`, `active`", "")
	c.AddIndex("idx_teachers_display_name", false, "`display_name`", "")

	own := "user = @request.auth.id"
	// A teacher edits the profile, never who it belongs to or how the
	// academy lists and loads it.
	ownProfileOnly := own + ` && @request.body.user:isset = false && @request.body.active:isset = false && @request.body.public:isset = false && @request.body.capacity:isset = false`
	c.ListRule = rule(or("active = true && (public = true || "+isSignedIn+")", own, isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(or(ownProfileOnly, isAdmin))
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

var levels = []string{"beginner", "intermediate", "advanced"}

func studentsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("students", idStudents)
	c.Fields.Add(
		relation("parent", "_pb_users_auth_", true),
		&core.TextField{Name: "first_name", Required: true, Max: 100, Presentable: true},
		&core.TextField{Name: "last_name", Required: true, Max: 100, Presentable: true},
		&core.DateField{Name: "birth_date"},
		&core.RelationField{Name: "instruments", CollectionId: idInstruments, MaxSelect: 10},
		&core.SelectField{Name: "level", Values: levels, MaxSelect: 1},
		relation("preferred_teacher", idTeachers, false),
		// teacher_users is kept by lessons/student_teachers.go: the user ids
		// of whoever teaches the student (lessons, enrollments), space
		// separated. Hidden, so clients neither read nor write it; a plain
		// LIKE on it spares every students list a join.
		&core.TextField{Name: "teacher_users", Hidden: true, Max: 2000, Pattern: `^[A-Za-z0-9_ ]*$`},
		&core.SelectField{Name: "status", Values: []string{"prospect", "active", "paused", "withdrawn"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "notes", Max: 5000},
		&core.DateField{Name: "deleted", Help: "set = soft deleted; admins can restore by clearing it"},
		created(), updated(),
	)
	c.AddIndex("idx_students_parent", false, "`parent`", "")
	c.AddIndex("idx_students_status", false, "`status`", "")
	c.AddIndex("idx_students_deleted", false, "`deleted`", "")
	c.AddIndex("idx_students_last_name", false, "`last_name`, `first_name`", "")
	c.AddIndex("idx_students_preferred_teacher", false, "`preferred_teacher`", "")
	c.AddIndex("idx_students_created", false, "`created`", "")

	family := `parent = @request.auth.id && deleted = ""`
	// A teacher sees the students it teaches or that are enrolled with it.
	// (Through the kept `teacher_users` field: a back-relation to lessons
	// would join every lesson into every students list, 60+ ms at 50k
	// lessons; a relation field would still join per row.)
	taught := isTeacher + ` && deleted = "" && teacher_users ~ @request.auth.id`
	parentFields := `@request.body.parent:isset = false || @request.body.parent = @request.auth.id`
	c.ListRule = rule(or(isParent+" && "+family, taught, isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(or(isParent+` && @request.body.parent = @request.auth.id && (@request.body.status:isset = false || @request.body.status = "prospect") && @request.body.deleted:isset = false`, isAdmin))
	// Parents keep their children's details current and may soft delete
	// (set "deleted"); status belongs to the academy.
	c.UpdateRule = rule(or(isParent+" && "+family+" && ("+parentFields+") && @request.body.status:isset = false", isAdmin))
	c.DeleteRule = nil // hard delete is for superusers only; the API soft deletes
	return c, nil
}
