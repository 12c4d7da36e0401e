package testapp_test

import (
	"os"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/crypto/bcrypt"

	"cedarheights/internal/testapp"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

func TestFixturesAreClonedPerApp(t *testing.T) {
	app1, f := testapp.New(t)
	app2, _ := testapp.New(t)

	if app1.DataDir() == app2.DataDir() {
		t.Fatal("two apps share one data dir")
	}
	student := testapp.Record(t, app1, "students", f.StudentA1)
	if got := student.GetString("first_name"); got != "Amy" {
		t.Fatalf("first_name = %q", got)
	}
	if err := app1.Delete(testapp.Record(t, app1, "lessons", f.LessonA1)); err != nil {
		t.Fatal(err)
	}
	// the other clone still has it
	testapp.Record(t, app2, "lessons", f.LessonA1)
	if f.ParentA.Token == "" || f.Superuser.Token == "" {
		t.Fatal("missing tokens")
	}
}

// The cheap hashes are the test template's alone: the migrations leave the
// password fields at PocketBase's default cost.
func TestCheapPasswordsAreTheTemplatesOnly(t *testing.T) {
	app, _ := testapp.New(t)
	fresh, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Cleanup()
	for _, name := range []string{"users", core.CollectionNameSuperusers} {
		if got := passwordCost(t, app, name); got != bcrypt.MinCost {
			t.Errorf("template %s: cost %d, want %d", name, got, bcrypt.MinCost)
		}
		if got := passwordCost(t, fresh, name); got != 0 {
			t.Errorf("migrated %s: cost %d, want PocketBase's default (0)", name, got)
		}
	}
}

func passwordCost(t *testing.T, app core.App, collection string) int {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	return c.Fields.GetByName("password").(*core.PasswordField).Cost
}

// The test apps' engine fires no cron schedule by the wall clock: at the
// hourly reminders' minute a run wrote into whatever test was running
// (TestTypedBodyNamesTheField's shared reads failed so). Its first look at
// the schedules, when it starts, would record them.
func TestAppsFireNoScheduleByTheClock(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t)
	testapp.Handler(t, app) // serving starts the engine
	workflows.EngineOf(app).Stop()
	var n int
	if err := app.DB().Select("count(*)").From("workflow_schedules").Row(&n); err != nil || n != 0 {
		t.Fatalf("%d schedules looked at (%v)", n, err)
	}
}
