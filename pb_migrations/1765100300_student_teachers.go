package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// student_teachers holds students.teacher_users one (teacher user, student)
// pair a row, keyed by the teacher first, so a teacher's students are a
// range of its primary key. The students list narrows a teacher's page to
// that range (hooks/peopleapi/students.go) before the ListRule's
// `teacher_users ~ @request.auth.id` is evaluated: without it SQLite tried
// the LIKE on every student (issue 14: 0.81× the built-in list at the
// seed's size, 0.63× at ten times). The rule stays the gate; the table only
// narrows, and is never an access rule of its own (a collection rule
// joining it made PocketBase's own list pay a join and a DISTINCT count).
//
// SQLite triggers keep it in the same transaction as every write of
// teacher_users, whoever writes it (lessons/student_teachers.go through
// Save, the demo's bulk loader, raw SQL). doctor/taught.go checks the
// table is in step and the triggers exist.
const studentTeachersTable = "student_teachers"

// studentTeacherPairs selects (teacher_user, student) for the students
// rows named by alias, read from the tables in from (none for a trigger's
// NEW): teacher_users is space separated ids (^[A-Za-z0-9_ ]*$), so it is a
// JSON array once its spaces are quoted.
func studentTeacherPairs(alias, from string) string {
	return `SELECT j.value, ` + alias + `.id FROM ` + from + `json_each('["' || replace(` + alias + `.teacher_users, ' ', '","') || '"]') j WHERE j.value != ''`
}

var studentTeachersSQL = []string{
	"CREATE TABLE IF NOT EXISTS `" + studentTeachersTable + "` (`teacher_user` TEXT NOT NULL, `student` TEXT NOT NULL, PRIMARY KEY (`teacher_user`, `student`)) WITHOUT ROWID",
	// The doctor and the delete trigger find a student's pairs by student.
	"CREATE INDEX IF NOT EXISTS `idx_student_teachers_student` ON `" + studentTeachersTable + "` (`student`)",
	"CREATE TRIGGER IF NOT EXISTS student_teachers_insert AFTER INSERT ON `students` BEGIN " +
		"INSERT OR IGNORE INTO `" + studentTeachersTable + "` (teacher_user, student) " + studentTeacherPairs("NEW", "") + "; END",
	"CREATE TRIGGER IF NOT EXISTS student_teachers_update AFTER UPDATE OF teacher_users, id ON `students` " +
		"WHEN OLD.teacher_users IS NOT NEW.teacher_users OR OLD.id IS NOT NEW.id BEGIN " +
		"DELETE FROM `" + studentTeachersTable + "` WHERE student = OLD.id; " +
		"INSERT OR IGNORE INTO `" + studentTeachersTable + "` (teacher_user, student) " + studentTeacherPairs("NEW", "") + "; END",
	"CREATE TRIGGER IF NOT EXISTS student_teachers_delete AFTER DELETE ON `students` BEGIN " +
		"DELETE FROM `" + studentTeachersTable + "` WHERE student = OLD.id; END",
	// The backfill: every student saved before this migration.
	"DELETE FROM `" + studentTeachersTable + "`",
	"INSERT OR IGNORE INTO `" + studentTeachersTable + "` (teacher_user, student) " + studentTeacherPairs("s", "`students` s, "),
}

func init() {
	m.Register(func(app core.App) error {
		for _, q := range studentTeachersSQL {
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, q := range []string{
			"DROP TRIGGER IF EXISTS student_teachers_insert",
			"DROP TRIGGER IF EXISTS student_teachers_update",
			"DROP TRIGGER IF EXISTS student_teachers_delete",
			"DROP TABLE IF EXISTS `" + studentTeachersTable + "`",
		} {
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}
