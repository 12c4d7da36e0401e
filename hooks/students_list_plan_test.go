package hooks_test

import (
	"strings"
	"testing"

	"cedarheights/internal/testapp"
)

// A teacher's students list keeps a handful of all students: it must find
// them through student_teachers' primary key (the teacher's range) and look
// up only those, not try the ListRule's LIKE on every student in name order
// (pb_migrations 1765100300_student_teachers.go; the sort of a teacher's
// few rows is cheap).
func TestTeacherStudentsListReadsItsPairs(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	studentsPage := func(q string) bool { return strings.Contains(q, "FROM `students`") && strings.Contains(q, "LIKE") }
	pagePlan(t, f.TeacherXUser, "/api/v1/students?per_page=20", studentsPage, func(t testing.TB, plan string) {
		if !strings.Contains(plan, "SEARCH student_teachers USING PRIMARY KEY (teacher_user=?)") ||
			!strings.Contains(plan, "SEARCH students USING INDEX sqlite_autoindex_students_1 (id=?)") {
			t.Errorf("the page is not read through the teacher's pairs: %s", plan)
		}
	})
}
