package lessons

import (
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// student_teachers.go keeps students.teacher_users — the user ids of who
// teaches the student, through a lesson that is not cancelled or an
// enrollment that is not over — in the same transaction as the lesson or
// enrollment write. The teacher branch of the students rules reads it
// instead of joining every lesson.

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

// syncStudentTeachers recomputes one student's teacher users and saves
// them when they changed.
func syncStudentTeachers(app core.App, studentID string) error {
	var users []string
	err := app.DB().NewQuery(`
		SELECT t.user FROM lessons l JOIN teachers t ON t.id = l.teacher
		WHERE l.student = {:student} AND l.status != 'cancelled'
		UNION
		SELECT t.user FROM enrollments e JOIN teachers t ON t.id = e.teacher
		WHERE e.student = {:student} AND e.status NOT IN ('cancelled', 'withdrawn')
		ORDER BY 1`).Bind(dbx.Params{"student": studentID}).Column(&users)
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
	joined := strings.Join(users, " ")
	if student.GetString("teacher_users") == joined {
		return nil
	}
	student.Set("teacher_users", joined)
	// The lesson or enrollment write is what was validated; the student's
	// other fields are not this write's business.
	return app.SaveNoValidate(student)
}
