package migrations_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// student_teachers holds each student's teacher_users split on its spaces,
// whoever writes the field (a save, raw SQL, a delete), and the migration
// fills it from the students already there.
func TestStudentTeachersFollowTeacherUsers(t *testing.T) {
	app := testapp.Factory(t)
	// inStep compares every student's pairs with its teacher_users.
	inStep := func(when string) {
		t.Helper()
		var students []struct {
			ID    string `db:"id"`
			Users string `db:"teacher_users"`
		}
		if err := app.DB().Select("id", "teacher_users").From("students").All(&students); err != nil {
			t.Fatal(err)
		}
		var pairs []struct {
			User    string `db:"teacher_user"`
			Student string `db:"student"`
		}
		if err := app.DB().Select("teacher_user", "student").From("student_teachers").All(&pairs); err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, p := range pairs {
			got[p.Student] = append(got[p.Student], p.User)
		}
		taught := 0
		for _, s := range students {
			want := strings.Fields(s.Users)
			slices.Sort(want)
			want = slices.Compact(want)
			have := got[s.ID]
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("%s: student %s has pairs %v, teacher_users %q", when, s.ID, have, s.Users)
			}
			delete(got, s.ID)
			taught += len(want)
		}
		if len(got) > 0 {
			t.Errorf("%s: pairs of students that do not exist: %v", when, got)
		}
		if taught == 0 {
			t.Errorf("%s: no student is taught; the check proves nothing", when)
		}
	}
	inStep("seeded")

	// A new student, saved with its teachers.
	students, err := app.FindCollectionByNameOrId("students")
	if err != nil {
		t.Fatal(err)
	}
	var parent string
	if err := app.DB().Select("parent").From("students").Limit(1).Row(&parent); err != nil {
		t.Fatal(err)
	}
	s := core.NewRecord(students)
	s.Load(map[string]any{"parent": parent, "first_name": "Pat", "last_name": "Pairs", "status": "active", "teacher_users": "eeeeeeeeeeeeeee fffffffffffffff"})
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	inStep("created")
	// Raw SQL, with a repeated id and doubled spaces.
	if _, err := app.DB().Update("students", dbx.Params{"teacher_users": "aaaaaaaaaaaaaaa  bbbbbbbbbbbbbbb aaaaaaaaaaaaaaa"}, dbx.HashExp{"id": s.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	inStep("raw update")
	// A save, clearing the field.
	s = testapp.Record(t, app, "students", s.Id)
	s.Set("teacher_users", "")
	if err := app.SaveNoValidate(s); err != nil {
		t.Fatal(err)
	}
	inStep("saved empty")
	s.Set("teacher_users", "ccccccccccccccc")
	if err := app.SaveNoValidate(s); err != nil {
		t.Fatal(err)
	}
	inStep("saved")
	if err := app.Delete(s); err != nil {
		t.Fatal(err)
	}
	inStep("deleted")

	// The migration's backfill: down drops the table, up fills it again.
	for _, m := range core.AppMigrations.Items() {
		if m.File == "1765100300_student_teachers.go" {
			if err := m.Down(app); err != nil {
				t.Fatal(err)
			}
			if _, err := app.DB().Update("students", dbx.Params{"teacher_users": "ddddddddddddddd"}, dbx.HashExp{"teacher_users": ""}).Execute(); err != nil {
				t.Fatal(err)
			}
			if err := m.Up(app); err != nil {
				t.Fatal(err)
			}
		}
	}
	inStep("migrated again")
}
