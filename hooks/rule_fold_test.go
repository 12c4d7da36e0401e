package hooks

import (
	"testing"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
)

func TestFoldRule(t *testing.T) {
	t.Parallel()
	users := core.NewAuthCollection("users")
	users.Fields.Add(
		&core.SelectField{Name: "role", Values: []string{"admin", "teacher", "parent"}, MaxSelect: 1},
		&core.SelectField{Name: "tags", Values: []string{"a", "b"}, MaxSelect: 2},
	)
	caller := func(id, role string) *core.Record {
		r := core.NewRecord(users)
		r.Id = id
		r.Set("role", role)
		return r
	}
	admin, parent, teacher := caller("admin1", "admin"), caller("parent1", "parent"), caller("teacher1", "teacher")
	superuser := core.NewRecord(core.NewAuthCollection(core.CollectionNameSuperusers))
	superuser.Id = "super1"

	const (
		isAdmin  = `@request.auth.collectionName = "users" && @request.auth.role = "admin"`
		students = `@request.auth.collectionName = "users" && @request.auth.role = "parent" && parent = @request.auth.id && deleted = "" || ` +
			`@request.auth.collectionName = "users" && @request.auth.role = "teacher" && deleted = "" && teacher_users ~ @request.auth.id || ` + isAdmin
		teachers = `active = true && (public = true || @request.auth.id != "") || user = @request.auth.id || ` + isAdmin
	)

	scenarios := []struct {
		name  string
		rule  string
		auth  *core.Record
		want  string
		truth truth
	}{
		{"admin sees every student", students, admin, "", alwaysTrue},
		{"a parent's branch alone, so the parent index applies", students, parent, `parent = @request.auth.id && deleted = ""`, dependsOnRow},
		{"a teacher's branch alone", students, teacher, `deleted = "" && teacher_users ~ @request.auth.id`, dependsOnRow},
		{"anonymous: no role branch survives", students, nil, "", alwaysFalse},
		{"another auth collection is not a user role", students, superuser, "", alwaysFalse},
		{"anonymous catalogue", teachers, nil, `(active = true && (public = true)) || (user = @request.auth.id)`, dependsOnRow},
		{"signed in: the inner || becomes true", teachers, parent, `(active = true) || (user = @request.auth.id)`, dependsOnRow},
		{"&& binds tighter than ||", `@request.auth.role = "x" && a = 1 || b = 2`, parent, `b = 2`, dependsOnRow},
		{"a false run drops, a true item drops", `a = 1 && @request.auth.role = "parent" || @request.auth.role = "admin" && b = 2`, parent, `a = 1`, dependsOnRow},
		{"!= folds", `@request.auth.role != "parent"`, parent, "", alwaysFalse},
		{"nested groups fold inside out", `((@request.auth.role = "parent") && (x = 1 || @request.auth.id = "nope"))`, parent, `((x = 1))`, dependsOnRow},
		{"text is quoted back as it was", `name = "a \"b\" \\ c" && @request.auth.role = "admin"`, admin, `name = "a \"b\" \\ c"`, dependsOnRow},
		{"other operators on known text are left to SQL", `"abc" ~ "b"`, admin, `"abc" ~ "b"`, dependsOnRow},
		{"multi-value auth fields are left to PocketBase", `@request.auth.tags = "a"`, admin, `@request.auth.tags = "a"`, dependsOnRow},
		{"nested auth paths are left to PocketBase", `@request.auth.team.name = "x"`, admin, `@request.auth.team.name = "x"`, dependsOnRow},
		{"modifiers are left to PocketBase", `@request.auth.role:lower = "admin"`, admin, `@request.auth.role:lower = "admin"`, dependsOnRow},
		{"functions leave the rule alone", `strftime('%Y', created) = "2026" && @request.auth.role = "admin"`, admin, `strftime('%Y', created) = "2026" && @request.auth.role = "admin"`, dependsOnRow},
		{"unparsable rules are left alone", `a = `, admin, `a = `, dependsOnRow},
		{"anonymous auth fields compare as empty text", `@request.auth.id = "" && @request.auth.role = ""`, nil, "", alwaysTrue},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			got, truth := foldRule(s.rule, s.auth)
			if got != s.want || truth != s.truth {
				t.Fatalf("foldRule(%q)\n got %q (%d)\nwant %q (%d)", s.rule, got, truth, s.want, s.truth)
			}
			if truth == dependsOnRow {
				if _, err := fexpr.Parse(got); err != nil && s.name != "unparsable rules are left alone" {
					t.Fatalf("folded rule %q does not parse: %v", got, err)
				}
			}
		})
	}
}

// TestQuoteTextRoundTrip checks that quoted text reads back unchanged, so
// a folded rule compares against the same values as the original.
func TestQuoteTextRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `a "b"`, `back\slash`, `\"`, "line\nbreak", `it's`, `trailing\`} {
		groups, err := fexpr.Parse("x = " + quoteText(s))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := groups[0].Item.(fexpr.Expr).Right.Literal; got != s {
			t.Fatalf("quoteText(%q) reads back as %q", s, got)
		}
	}
}
