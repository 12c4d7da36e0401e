package hooks_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"cedarheights/hooks"
	"cedarheights/internal/testapp"
)

// TestFoldedRulesSelectTheSameRows reads every collection's ListRule for
// every fixture caller twice, as PocketBase writes it and as folded for the
// caller, and expects the same rows: folding may only make the query
// cheaper, never change who sees what.
func TestFoldedRulesSelectTheSameRows(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	callers := fixtureCallers(t, app, f)

	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	checked, rows := 0, 0
	for _, c := range collections {
		if c.IsView() || c.ListRule == nil || *c.ListRule == "" {
			continue
		}
		for name, auth := range callers {
			info := &core.RequestInfo{Auth: auth, Context: core.RequestInfoContextDefault}
			want := visibleIDs(t, app, c, info, *c.ListRule, "row")
			folded, verdict := hooks.FoldRule(*c.ListRule, auth)
			got := visibleIDs(t, app, c, info, folded, verdict)
			if !slices.Equal(got, want) {
				t.Errorf("%s as %s: folded rule %q (%s) selects %v, the rule selects %v", c.Name, name, folded, verdict, got, want)
			}
			checked++
			rows += len(want)
		}
	}
	// Guard against a vacuous pass: enough pairs, and rows to compare.
	if checked < 100 || rows < 50 {
		t.Fatalf("only %d collection × caller pairs and %d visible rows checked", checked, rows)
	}
	t.Logf("%d collection × caller pairs, %d visible rows", checked, rows)
}

// visibleIDs lists the ids rule admits for info, sorted.
func visibleIDs(t *testing.T, app core.App, c *core.Collection, info *core.RequestInfo, rule, verdict string) []string {
	t.Helper()
	if verdict == "false" {
		return []string{}
	}
	query := app.RecordQuery(c)
	resolver := core.NewRecordFieldResolver(app, c, info, true)
	if verdict == "row" {
		expr, err := search.FilterData(rule).BuildExpr(resolver)
		if err != nil {
			t.Fatalf("%s: %q: %v", c.Name, rule, err)
		}
		query.AndWhere(expr)
	}
	if err := resolver.UpdateQuery(query); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	if err := query.Select(c.Name + ".id").OrderBy(c.Name + ".id").Column(&ids); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return ids
}

// TestFoldedViewRuleAnswersAsCanAccessRecord asks, for every record of
// every collection and every fixture caller, whether the caller may view
// it: FindVisible's answer (the ViewRule folded for the caller, a query
// only when the row matters) must be PocketBase's own CanAccessRecord's.
func TestFoldedViewRuleAnswersAsCanAccessRecord(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	callers := fixtureCallers(t, app, f)
	callers["superuser"] = testapp.Record(t, app, core.CollectionNameSuperusers, f.Superuser.ID)
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	checked, seen := 0, 0
	for _, c := range collections {
		if c.IsView() {
			continue
		}
		records, err := app.FindAllRecords(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			for name, auth := range callers {
				info := &core.RequestInfo{Auth: auth, Context: core.RequestInfoContextDefault}
				want, err := app.CanAccessRecord(r, info, c.ViewRule)
				if err != nil {
					t.Fatal(err)
				}
				got, err := hooks.CanView(app, info, r)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s %s as %s: canView says %t, CanAccessRecord %t", c.Name, r.Id, name, got, want)
				}
				checked++
				if want {
					seen++
				}
			}
		}
	}
	if checked < 300 || seen < 100 {
		t.Fatalf("only %d record × caller pairs, %d of them visible", checked, seen)
	}
	t.Logf("%d record × caller pairs, %d visible", checked, seen)
}

// fixtureCallers are the fixture's users by role, and the anonymous caller.
func fixtureCallers(t *testing.T, app core.App, f *testapp.Fixtures) map[string]*core.Record {
	t.Helper()
	callers := map[string]*core.Record{"anonymous": nil}
	for name, id := range map[string]string{
		"admin": f.Admin.ID, "parent A": f.ParentA.ID, "parent B": f.ParentB.ID,
		"teacher X": f.TeacherXUser.ID, "teacher Y": f.TeacherYUser.ID,
	} {
		callers[name] = testapp.Record(t, app, "users", id)
	}
	return callers
}
