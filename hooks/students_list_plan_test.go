package hooks_test

import (
	"strings"
	"testing"

	"cedarheights/internal/testapp"
)

// A teacher's students list keeps a handful of all students: it must decide
// each one from the name-ordered index alone (pb_migrations
// 1764960100_students_list_index.go), not look every row up in the table
// and sort.
func TestTeacherStudentsListReadsTheNameIndex(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	studentsPage := func(q string) bool { return strings.Contains(q, "FROM `students`") && strings.Contains(q, "LIKE") }
	pagePlan(t, f.TeacherXUser, "/api/v1/students?per_page=20", studentsPage, func(t testing.TB, plan string) {
		if !strings.Contains(plan, "INDEX idx_students_name_list") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("the page does not walk idx_students_name_list in order: %s", plan)
		}
	})
}
