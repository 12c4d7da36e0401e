package testapp_test

import (
	"os"
	"testing"

	"cedarheights/internal/testapp"
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
