package migrations

import (
	"github.com/pocketbase/pocketbase/core"
)

func instrumentsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("instruments", idInstruments)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 100, Presentable: true},
		&core.NumberField{Name: "min_age", OnlyInt: true, Min: minZero(), Max: ptr(99.0)},
		&core.BoolField{Name: "active"},
		created(), updated(),
	)
	c.AddIndex("idx_instruments_name", true, "`name`", "")
	c.AddIndex("idx_instruments_active", false, "`active`", "")
	c.ListRule = rule(or("active = true", isSignedIn))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

func roomsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("rooms", idRooms)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 100, Presentable: true},
		&core.NumberField{Name: "capacity", OnlyInt: true, Min: ptr(1.0), Max: ptr(200.0)},
		&core.BoolField{Name: "active"},
		created(), updated(),
	)
	c.AddIndex("idx_rooms_name", true, "`name`", "")
	c.ListRule = rule(isSignedIn)
	c.ViewRule = rule(isSignedIn)
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

// ownTeacherWrite lets a teacher manage rows of its own teacher profile and
// never move a row to another teacher.
const ownTeacherWrite = `teacher.user = @request.auth.id && (@request.body.teacher:isset = false || @request.body.teacher.user = @request.auth.id)`

func availabilityCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("availability", idAvailability)
	c.Fields.Add(
		relation("teacher", idTeachers, true),
		&core.NumberField{Name: "weekday", OnlyInt: true, Min: minZero(), Max: ptr(6.0), Help: "0 = Sunday … 6 = Saturday, in the academy's time zone"},
		&core.TextField{Name: "start_time", Required: true, Pattern: clockPattern, Help: "HH:MM, academy's local time"},
		&core.TextField{Name: "end_time", Required: true, Pattern: clockPattern, Help: "HH:MM, academy's local time"},
		&core.DateField{Name: "valid_from"},
		&core.DateField{Name: "valid_to"},
		created(), updated(),
	)
	c.AddIndex("idx_availability_teacher_weekday", false, "`teacher`, `weekday`, `start_time`", "")
	c.ListRule = rule(isSignedIn)
	c.ViewRule = rule(isSignedIn)
	c.CreateRule = rule(or(isTeacher+` && @request.body.teacher.user = @request.auth.id`, isAdmin))
	c.UpdateRule = rule(or(isTeacher+" && "+ownTeacherWrite, isAdmin))
	c.DeleteRule = rule(or(isTeacher+" && teacher.user = @request.auth.id", isAdmin))
	return c, nil
}

func timeOffCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("time_off", idTimeOff)
	c.Fields.Add(
		relation("teacher", idTeachers, true),
		&core.DateField{Name: "start", Required: true},
		&core.DateField{Name: "end", Required: true},
		&core.TextField{Name: "reason", Max: 500},
		created(), updated(),
	)
	c.AddIndex("idx_time_off_teacher_start", false, "`teacher`, `start`", "")
	own := isTeacher + " && teacher.user = @request.auth.id"
	c.ListRule = rule(or(own, isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(or(isTeacher+` && @request.body.teacher.user = @request.auth.id`, isAdmin))
	c.UpdateRule = rule(or(isTeacher+" && "+ownTeacherWrite, isAdmin))
	c.DeleteRule = rule(or(own, isAdmin))
	return c, nil
}

func closuresCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("closures", idClosures)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
		&core.DateField{Name: "start", Required: true},
		&core.DateField{Name: "end", Required: true},
		created(), updated(),
	)
	c.AddIndex("idx_closures_start", false, "`start`", "")
	// School holidays are public knowledge.
	c.ListRule = rule("")
	c.ViewRule = rule("")
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

func lessonsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("lessons", idLessons)
	c.Fields.Add(
		relation("teacher", idTeachers, true),
		relation("student", idStudents, true),
		relation("instrument", idInstruments, true),
		relation("room", idRooms, false),
		&core.DateField{Name: "start", Required: true, Help: "UTC instant"},
		&core.DateField{Name: "end", Required: true, Help: "UTC instant"},
		&core.SelectField{Name: "kind", Values: []string{"trial", "regular", "makeup"}, MaxSelect: 1, Required: true},
		&core.SelectField{Name: "status", Values: []string{"scheduled", "completed", "cancelled", "no_show"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "series", Max: 64},
		&core.TextField{Name: "teacher_notes", Max: 5000, Help: "visible to the family"},
		created(), updated(),
	)
	c.AddIndex("idx_lessons_teacher_start", false, "`teacher`, `start`", "")
	c.AddIndex("idx_lessons_student_start", false, "`student`, `start`", "")
	c.AddIndex("idx_lessons_room_start", false, "`room`, `start`", "")
	c.AddIndex("idx_lessons_start", false, "`start`", "")
	c.AddIndex("idx_lessons_series", false, "`series`", "")
	c.AddIndex("idx_lessons_status", false, "`status`", "")

	teaches := isTeacher + " && teacher.user = @request.auth.id"
	// A teacher records what happened (attendance, notes); the schedule
	// itself belongs to the academy.
	attendanceOnly := teaches + ` && @request.body.teacher:isset = false && @request.body.student:isset = false && @request.body.instrument:isset = false && @request.body.room:isset = false && @request.body.start:isset = false && @request.body.end:isset = false && @request.body.kind:isset = false && @request.body.series:isset = false && (@request.body.status:isset = false || @request.body.status = "completed" || @request.body.status = "no_show" || @request.body.status = "scheduled")`
	c.ListRule = rule(or(teaches, isParent+" && student.parent = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(or(attendanceOnly, isAdmin))
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

// lessonPrivateNotesCollection keeps the teacher's private notes apart from
// the lesson so that the family never receives them, by rule and not by a
// field filter in code.
func lessonPrivateNotesCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("lesson_private_notes", idLessonPrivate)
	c.Fields.Add(
		relation("lesson", idLessons, true),
		&core.TextField{Name: "note", Required: true, Max: 5000},
		created(), updated(),
	)
	c.Fields.GetByName("lesson").(*core.RelationField).CascadeDelete = true
	c.AddIndex("idx_lesson_private_notes_lesson", true, "`lesson`", "")
	teaches := isTeacher + " && lesson.teacher.user = @request.auth.id"
	c.ListRule = rule(or(teaches, isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(or(isTeacher+" && @request.body.lesson.teacher.user = @request.auth.id", isAdmin))
	c.UpdateRule = rule(or(teaches+" && @request.body.lesson:isset = false", isAdmin))
	c.DeleteRule = rule(or(teaches, isAdmin))
	return c, nil
}
