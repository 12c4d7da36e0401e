package hooks

import (
	"slices"
	"strings"
	"testing"
)

// issueFilter is the filter of issue 9 item 2: 24 s on 1,013 lessons.
const issueFilter = `teacher.lessons_via_teacher.student.lessons_via_student.teacher.lessons_via_teacher.id ?!= ""`

func TestFieldPathCost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path    string
		hops    int
		backRel string
		late    bool
	}{
		{"id", 0, "", false},
		{"teacher.display_name", 1, "", false},
		{"student.parent.email:lower", 2, "", false},
		{"lessons_via_student:each", 0, "lessons_via_student", false},
		{"lessons_via_student.status", 1, "lessons_via_student", false},
		{"lessons_via_student:length", 0, "lessons_via_student", false},
		{"teacher.lessons_via_teacher.id", 2, "", true},
		{"@request.auth.id", 0, "", false},
		{"@request.auth.students_via_parent.id", 1, "students_via_parent", false},
		{"@request.query.page", 0, "", false},
		{"@request.headers.x_token", 0, "", false},
		{"@now", 0, "", false},
		{issueFilter[:strings.Index(issueFilter, " ")], 6, "", true},
	} {
		got := fieldPathCost(c.path)
		if got.hops != c.hops || got.backRel != c.backRel || got.lateRel != c.late || got.joinAll {
			t.Errorf("fieldPathCost(%q) = %+v; want %d hops, back-relation %q, late %v", c.path, got, c.hops, c.backRel, c.late)
		}
	}
	if !fieldPathCost("@collection.lessons:l.id").joinAll {
		t.Error("@collection is not marked as joining a whole collection")
	}
}

func TestQueryParamErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		query   map[string]string
		refused string // the parameter named, "" when accepted
	}{
		// what the academy's clients and tests send
		{"nothing", nil, ""},
		{"plain filter", map[string]string{"filter": `teacher="abc" && start >= @now`}, ""},
		{"two hops", map[string]string{"filter": `student.parent.email = "a@b.c"`}, ""},
		{"a back-relation after two hops", map[string]string{"filter": `student.parent.students_via_parent.first_name != ""`}, "filter"},
		{"three forward hops", map[string]string{"filter": `lesson.student.parent.email != ""`}, ""},
		{"a back-relation opening a path", map[string]string{"filter": `availability_via_teacher.weekday ?= 1`}, ""},
		{"the same back-relation twice", map[string]string{"filter": `lessons_via_student.status ?= "x" && lessons_via_student.kind ?= "y"`}, ""},
		{"a back-relation and a hop", map[string]string{"filter": `lessons_via_student.teacher.display_name ?= "x"`}, ""},
		{"a back-relation and two hops", map[string]string{"filter": `lessons_via_student.teacher.user.email ?= "x"`}, "filter"},
		{"an expanded back-relation and two hops", map[string]string{"expand": "lessons_via_student.teacher.user"}, "expand"},
		{"auth macro", map[string]string{"filter": `@request.auth.id = student.parent`}, ""},
		{"auth back-relation", map[string]string{"filter": `@request.auth.students_via_parent.id ?= student`}, ""},
		{"unparsable is PocketBase's to refuse", map[string]string{"filter": `teacher = (`}, ""},
		{"sort", map[string]string{"sort": "-start,+display_name,id"}, ""},
		{"sort with a hop", map[string]string{"sort": "-teacher.display_name"}, ""},
		{"random sort", map[string]string{"sort": "@random"}, ""},
		{"expand", map[string]string{"expand": "availability_via_teacher"}, ""},
		{"expand list", map[string]string{"expand": "student,teacher,instrument"}, ""},
		{"nested expand", map[string]string{"expand": "student.parent, teacher"}, ""},
		{"two expanded back-relations", map[string]string{"expand": "availability_via_teacher,time_off_via_teacher"}, ""},
		{"expand of a back-relation beside a filter on another", map[string]string{
			"filter": `lessons_via_teacher.status ?= "x"`, "expand": "availability_via_teacher"}, ""},
		{"many plain fields", map[string]string{"filter": strings.Repeat(`first_name != "" && `, 40) + `id != ""`}, ""},

		// deep
		{"the issue's filter", map[string]string{"filter": issueFilter}, "filter"},
		{"four hops", map[string]string{"filter": `a.b.c.d.e != ""`}, "filter"},
		{"a back-relation after a hop", map[string]string{"filter": `teacher.lessons_via_teacher.id ?!= ""`}, "filter"},
		{"deep inside a group", map[string]string{"filter": `id != "" && (x = 1 || (a.b.c.d.e != ""))`}, "filter"},
		{"deep on the right side", map[string]string{"filter": `"x" = a.b.c.d.e`}, "filter"},
		{"deep in a function argument", map[string]string{"filter": `geoDistance(a.b.c.d.e, 1, 2, 3) < 1`}, "filter"},
		{"a late back-relation from auth", map[string]string{"filter": `@request.auth.students_via_parent.lessons_via_student.id ?= id`}, "filter"},
		{"@collection", map[string]string{"filter": `@collection.lessons.id ?= id`}, "filter"},
		{"deep sort", map[string]string{"sort": "-a.b.c.d.e"}, "sort"},
		{"deep sort with +", map[string]string{"sort": "+a.b.c.d.e"}, "sort"},
		{"late back-relation in a sort", map[string]string{"sort": "teacher.lessons_via_teacher.start"}, "sort"},
		{"deep expand", map[string]string{"expand": "student,teacher.user.students_via_parent.parent"}, "expand"},
		{"expand chaining back-relations", map[string]string{"expand": "lessons_via_teacher.student.lessons_via_student"}, "expand"},

		// wide
		{"two back-relations in a filter", map[string]string{
			"filter": `lessons_via_student.id != "" || enrollments_via_student.id != ""`}, "filter"},
		{"a back-relation in the filter and another in the sort", map[string]string{
			"filter": `lessons_via_student.id != ""`, "sort": "enrollments_via_student.created"}, "sort"},
		{"three expanded back-relations", map[string]string{"expand": "a_via_x,b_via_y,c_via_z"}, "expand"},
		{"one expanded back-relation by three paths", map[string]string{"expand": "a_via_x.b,a_via_x.c,a_via_x"}, ""},
		{"an expanded back-relation on a big page", map[string]string{"expand": "lessons_via_student", "perPage": "201"}, "expand"},
		{"an expanded back-relation on a page of 200", map[string]string{"expand": "lessons_via_student", "perPage": "200"}, ""},
		{"forward expands on a big page", map[string]string{"expand": "student.parent,teacher", "perPage": "1000"}, ""},
		{"an unindexed back-relation", map[string]string{"filter": `makeup_credits_via_used_by.id != ""`}, "filter"},
		{"an unindexed back-relation in a sort", map[string]string{"sort": `makeup_credits_via_used_by.id`}, "sort"},
		{"an unindexed back-relation in an expand", map[string]string{"expand": `makeup_credits_via_used_by`}, "expand"},
		{"many related paths", map[string]string{"filter": strings.Repeat(`teacher.display_name != "" && `, 12) + `teacher.id != ""`}, "filter"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := queryParamErrors(func(k string) string { return c.query[k] }, allIndexedBut("makeup_credits.used_by"))
			if c.refused == "" {
				if errs != nil {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[c.refused] == nil {
				t.Fatalf("errors %v; want one naming %s", errs, c.refused)
			}
		})
	}
}

// allIndexedBut is an index lookup where only the listed collection.field
// back-relations lack an index.
func allIndexedBut(unindexed ...string) backRelIndexed {
	return func(collection, field string) bool {
		return !slices.Contains(unindexed, collection+"."+field)
	}
}
