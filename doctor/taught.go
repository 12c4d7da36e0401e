package doctor

import "fmt"

// taught.go: student_teachers, the (teacher user, student) pairs a
// teacher's students list is narrowed to (pb_migrations
// 1765100300_student_teachers.go), holds exactly each student's
// teacher_users split on its spaces, and the triggers that keep it so
// exist. A pair missing hides a student from its teacher's list; a pair too
// many shows nothing (the students rule still decides) but means the
// triggers did not run.

// studentTeachersTriggers are the migration's triggers.
var studentTeachersTriggers = []string{"student_teachers_insert", "student_teachers_update", "student_teachers_delete"}

func checkTaught(c *checker) error {
	var triggers []string
	if err := c.app.DB().NewQuery("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'students'").Column(&triggers); err != nil {
		return err
	}
	for _, name := range studentTeachersTriggers {
		found := false
		for _, t := range triggers {
			found = found || t == name
		}
		if !found {
			c.violation("student_teachers_trigger_missing", fmt.Sprintf(
				"Trigger %s on students is missing: student_teachers no longer follows teacher_users (re-run the migration 1765100300_student_teachers).", name),
				ref("triggers", name))
		}
	}

	// teacher_users is ids separated by spaces: a JSON array once its
	// spaces are quoted (as the migration reads it).
	var rows []struct {
		Student string `db:"student"`
		User    string `db:"teacher_user"`
		Missing bool   `db:"missing"`
	}
	err := c.app.DB().NewQuery(`
		WITH expected(teacher_user, student) AS (
			SELECT j.value, s.id FROM students s,
				json_each('["' || replace(s.teacher_users, ' ', '","') || '"]') j
			WHERE j.value != '')
		SELECT e.student, e.teacher_user, 1 AS missing FROM expected e
		WHERE NOT EXISTS (SELECT 1 FROM student_teachers p WHERE p.teacher_user = e.teacher_user AND p.student = e.student)
		UNION ALL
		SELECT p.student, p.teacher_user, 0 FROM student_teachers p
		WHERE NOT EXISTS (SELECT 1 FROM students s WHERE s.id = p.student
			AND instr(' ' || s.teacher_users || ' ', ' ' || p.teacher_user || ' ') > 0)
		ORDER BY 1, 2`).All(&rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Missing {
			c.violation("student_teachers_out_of_step", fmt.Sprintf(
				"Student %s is taught by user %s (teacher_users) but student_teachers lacks the pair: the teacher's students list leaves the student out.", r.Student, r.User),
				ref("students", r.Student), ref("users", r.User))
		} else {
			c.violation("student_teachers_out_of_step", fmt.Sprintf(
				"student_teachers pairs student %s with user %s, which its teacher_users does not hold.", r.Student, r.User),
				ref("students", r.Student), ref("users", r.User))
		}
	}
	var pairs int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM student_teachers").Row(&pairs); err != nil {
		return err
	}
	c.report.Counts["student_teacher_pairs"] = pairs
	return nil
}
