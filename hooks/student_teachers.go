package hooks

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// student_teachers.go keeps students.teachers — who teaches the student,
// through a lesson that is not cancelled or an enrollment that is not over
// — in the same transaction as the lesson or enrollment write. The teacher
// branch of the students rules reads it instead of joining every lesson.

func bindStudentTeachers(app core.App) {
	for _, collection := range []string{"lessons", "enrollments"} {
		app.OnRecordCreateExecute(collection).BindFunc(refreshTaughtStudents)
		app.OnRecordUpdateExecute(collection).BindFunc(refreshTaughtStudents)
		app.OnRecordDeleteExecute(collection).BindFunc(refreshTaughtStudents)
	}
}

func refreshTaughtStudents(e *core.RecordEvent) error {
	students := []string{e.Record.GetString("student")}
	if !e.Record.IsNew() {
		students = append(students, e.Record.Original().GetString("student"))
	}
	return inTransaction(e, func() error {
		if err := e.Next(); err != nil {
			return err
		}
		for i, id := range students {
			if id == "" || slices.Contains(students[:i], id) {
				continue
			}
			if err := syncStudentTeachers(e.App, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// syncStudentTeachers recomputes one student's teachers and saves them when
// they changed.
func syncStudentTeachers(app core.App, studentID string) error {
	var teachers []string
	err := app.DB().NewQuery(`
		SELECT teacher FROM lessons WHERE student = {:student} AND status != 'cancelled'
		UNION
		SELECT teacher FROM enrollments WHERE student = {:student} AND status NOT IN ('cancelled', 'withdrawn')
		ORDER BY 1`).Bind(dbx.Params{"student": studentID}).Column(&teachers)
	if err != nil {
		return err
	}
	student, err := app.FindRecordById("students", studentID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // deleted with its lessons
	}
	if err != nil {
		return err
	}
	current := slices.Sorted(slices.Values(student.GetStringSlice("teachers")))
	if slices.Equal(current, teachers) {
		return nil
	}
	student.Set("teachers", teachers)
	// The lesson or enrollment write is what was validated; the student's
	// other fields are not this write's business.
	return app.SaveNoValidate(student)
}
