package hooks

import (
	"strings"
	"testing"
)

// issueFilter is the filter of issue 9 item 2: 24 s on 1,013 lessons.
const issueFilter = `teacher.lessons_via_teacher.student.lessons_via_student.teacher.lessons_via_teacher.id ?!= ""`

func TestPathCost(t *testing.T) {
	for _, c := range []struct {
		path          string
		hops, fanOuts int
	}{
		{"id", 0, 0},
		{"teacher.name", 1, 0},
		{"teacher.lessons_via_teacher.id", 2, 1},
		{"student.parent.email:lower", 2, 0},
		{"lessons_via_student:each", 0, 1},
		{"lessons_via_student:length", 0, 1},
		{"@request.auth.id", 0, 0},
		{"@request.auth.students_via_parent.id", 1, 1},
		{"@request.query.page", 0, 0},
		{"@request.headers.x_token", 0, 0},
		{"@now", 0, 0},
		{"@collection.lessons.id", 1, 1},
		{"@collection.lessons:l.teacher.name", 2, 1},
		{issueFilter[:strings.Index(issueFilter, " ")], 6, 3},
	} {
		got := pathCost(c.path)
		if got.hops != c.hops || got.fanOuts != c.fanOuts {
			t.Errorf("pathCost(%q) = %d hops, %d fan-outs; want %d, %d", c.path, got.hops, got.fanOuts, c.hops, c.fanOuts)
		}
	}
}

func TestCheckQueryParam(t *testing.T) {
	for _, c := range []struct {
		name, param, value string
		refused            bool
	}{
		// what the academy's clients and tests send
		{"empty", "filter", "", false},
		{"plain filter", "filter", `teacher="abc" && starts_at >= @now`, false},
		{"two hops", "filter", `student.parent.email = "a@b.c"`, false},
		{"three hops", "filter", `student.parent.students_via_parent.name != ""`, false},
		{"one back-relation", "filter", `availability_via_teacher.weekday ?= 1`, false},
		{"auth macro", "filter", `@request.auth.id = student.parent`, false},
		{"unparsable is PocketBase's to refuse", "filter", `teacher = (`, false},
		{"sort", "sort", "-starts_at,+name,id", false},
		{"sort with a hop", "sort", "-teacher.name", false},
		{"random sort", "sort", "@random", false},
		{"expand", "expand", "availability_via_teacher", false},
		{"expand list", "expand", "student,teacher,instrument", false},
		{"nested expand", "expand", "student.parent, teacher", false},

		// deep
		{"issue's filter", "filter", issueFilter, true},
		{"four hops", "filter", `student.parent.students_via_parent.teacher.name != ""`, true},
		{"two back-relations in one path", "filter", `teacher.lessons_via_teacher.student.enrollments_via_student.id != ""`, true},
		{"deep inside a group", "filter", `id != "" && (x = 1 || (teacher.lessons_via_teacher.student.lessons_via_student.id != ""))`, true},
		{"deep on the right side", "filter", `"x" = teacher.lessons_via_teacher.student.parent.id`, true},
		{"deep in a function argument", "filter", `geoDistance(a.b.c.d.e, 1, 2, 3) < 1`, true},
		{"deep auth macro", "filter", `@request.auth.students_via_parent.lessons_via_student.id ?= id`, true},
		{"collection macro chained", "filter", `@collection.lessons.student.lessons_via_student.id ?= id`, true},
		{"deep sort", "sort", "-teacher.lessons_via_teacher.student.parent.name", true},
		{"deep sort with +", "sort", "+a.b.c.d.e", true},
		{"back-relations chained in sort", "sort", "teacher.lessons_via_teacher.student.lessons_via_student.id", true},
		{"deep expand", "expand", "teacher.lessons_via_teacher.student.parent", true},
		{"expand chaining back-relations", "expand", "lessons_via_teacher.student.lessons_via_student", true},

		// wide
		{"three back-relations", "filter",
			`lessons_via_student.id != "" || enrollments_via_student.id != "" || payments_via_student.id != ""`, true},
		{"three expanded back-relations", "expand", "a_via_x,b_via_y,c_via_z", true},
		{"many related paths", "filter", strings.Repeat(`teacher.name != "" && `, 12) + `teacher.name != ""`, true},
		{"many plain fields are fine", "filter", strings.Repeat(`name != "" && `, 40) + `id != ""`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkQueryParam(c.param, c.value)
			if (err != nil) != c.refused {
				t.Fatalf("checkQueryParam(%s, %q) = %v; refused want %v", c.param, c.value, err, c.refused)
			}
		})
	}
}

func TestQueryParamErrorsNamesTheParameter(t *testing.T) {
	deep := map[string]string{"filter": issueFilter, "sort": "-a_via_b.c_via_d.e", "expand": "a_via_b.c_via_d"}
	for param, value := range deep {
		q := map[string]string{param: value}
		errs := queryParamErrors(func(k string) string { return q[k] })
		if len(errs) != 1 || errs[param] == nil {
			t.Errorf("%s: errors %v, want one naming %s", param, errs, param)
		}
	}
	if errs := queryParamErrors(func(string) string { return "" }); errs != nil {
		t.Errorf("no parameters: %v", errs)
	}
}
