// Package testapp builds a PocketBase test app wired exactly like
// production (migrations + wiring.Register: audit, model hooks, billing, the
// workflow engine with the academy's workflows, routes) and loaded with a
// small academy: two families, two teachers, an admin and a superuser, each
// with a token. The fixture database is built once per test binary and
// cloned per test. A test that needs less passes wiring options (e.g.
// wiring.WithoutEngine()).
package testapp

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/crypto/bcrypt"

	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// Account is a signed-in identity used by tests.
type Account struct {
	ID    string
	Email string
	Token string // value for the Authorization header
}

// Password of every fixture account.
const Password = "password123"

// Fixtures names every record the template holds.
type Fixtures struct {
	Superuser, Admin, ParentA, ParentB, TeacherXUser, TeacherYUser Account

	TeacherX, TeacherY, TeacherHidden string
	Piano, Violin, Theremin           string
	Room                              string

	AvailabilityX, AvailabilityY string
	TimeOffX, TimeOffY           string
	Closure                      string

	StudentA1, StudentA2, StudentADeleted, StudentB1 string

	LessonA1, LessonB1         string
	PrivateNoteA1              string
	PlanPublic, PlanHidden     string
	EnrollmentA1, EnrollmentB1 string
	PaymentA, PaymentB         string
}

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
	fixtures     *Fixtures
)

// New returns a fresh wired app cloned from the fixture template, cleaned up
// with the test. opts are for tests that need less or more than production.
func New(t testing.TB, opts ...wiring.Option) (*tests.TestApp, *Fixtures) {
	t.Helper()
	app := newApp(t, opts...)
	t.Cleanup(app.Cleanup)
	return app, fixtures
}

// NewAnswersChecked is New whose description check looks at the answers
// alone, for a driver whose requests step outside the description on
// purpose (the HTTP fuzz driver: undeclared parameters, nulls, bodies on GET
// routes): whatever it sends, every answer must be one the description lists.
func NewAnswersChecked(t testing.TB, opts ...wiring.Option) (*tests.TestApp, *Fixtures) {
	t.Helper()
	app := buildApp(t, opts...)
	checkAgainstDescription(t, app, true)
	t.Cleanup(app.Cleanup)
	return app, fixtures
}

// NewUnchecked is New without the description check, for a test that
// binds its own checker to see the violations it expects.
func NewUnchecked(t testing.TB, opts ...wiring.Option) (*tests.TestApp, *Fixtures) {
	t.Helper()
	app := buildApp(t, opts...)
	t.Cleanup(app.Cleanup)
	return app, fixtures
}

// Factory is an ApiScenario.TestAppFactory: every scenario gets its own app
// (tests.ApiScenario builds a router per run, and a second on one app panics
// on the admin UI route; scenarios that share an app go through Handler and
// Ask instead).
func Factory(t testing.TB) *tests.TestApp {
	return newApp(t)
}

// FactoryWith is Factory with wiring options.
func FactoryWith(opts ...wiring.Option) func(t testing.TB) *tests.TestApp {
	return func(t testing.TB) *tests.TestApp { return newApp(t, opts...) }
}

// Get returns the fixtures (building the template if needed).
func Get(t testing.TB) *Fixtures {
	t.Helper()
	ensureTemplate(t)
	return fixtures
}

func newApp(t testing.TB, opts ...wiring.Option) *tests.TestApp {
	t.Helper()
	app := buildApp(t, opts...)
	checkAgainstDescription(t, app, false)
	return app
}

func buildApp(t testing.TB, opts ...wiring.Option) *tests.TestApp {
	t.Helper()
	ensureTemplate(t)
	app, err := tests.NewTestApp(templateDir)
	if err != nil {
		t.Fatal(err)
	}
	// The stored settings turn the rate limiter on; every test request comes
	// from one IP. A test of the limiter turns it back on.
	app.Settings().RateLimits.Enabled = false
	// The engine fires no cron schedule by the wall clock (the hourly
	// lesson reminders, at minute 5): a run it started then wrote into
	// whatever test was running, counted by WatchWrites and by the tests
	// that count workflow runs. Tests of a schedule call RunSchedules with
	// the time they need; a test's own WithEngineOptions replaces this.
	noSchedules := workflows.OptionsFromEnv()
	noSchedules.NoSchedules = true
	opts = append([]wiring.Option{wiring.WithEngineOptions(noSchedules)}, opts...)
	if err := wiring.Register(app, opts...); err != nil {
		t.Fatal(err)
	}
	return app
}

func ensureTemplate(t testing.TB) {
	t.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "cedarheights-fixtures-")
		if templateErr != nil {
			return
		}
		var app *tests.TestApp
		app, templateErr = tests.NewTestApp(templateDir)
		if templateErr != nil {
			return
		}
		// Without the engine: the fixtures are data, and a lesson seeded
		// must not leave its booking confirmation pending in every clone.
		if templateErr = wiring.Register(app, wiring.WithoutEngine()); templateErr != nil {
			return
		}
		if templateErr = cheapPasswords(app); templateErr != nil {
			return
		}
		fixtures, templateErr = seed(app)
		// Flush the WAL into the main file so clones see every row.
		if templateErr == nil {
			_, templateErr = app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute()
		}
		if templateErr == nil {
			_, templateErr = app.AuxDB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute()
		}
		dir := app.DataDir()
		app.ResetBootstrapState()
		// NewTestApp cloned templateDir; keep the seeded clone as the template.
		os.RemoveAll(templateDir)
		templateDir = dir
	})
	if templateErr != nil {
		t.Fatalf("fixture template: %v", templateErr)
	}
}

// cheapPasswords hashes the test academy's passwords at bcrypt's lowest
// cost. The suites sign up and log in hundreds of accounts, each hash about
// 50 ms of CPU at PocketBase's default cost; what a hash costs is not what
// they test. Production keeps the default (no migration sets a cost); the
// suites that run the built binary (tests/sim, tests/crash, the JS and
// browser suites) set the same field through the collections API, as an
// owner can in the admin UI.
func cheapPasswords(app core.App) error {
	for _, name := range []string{"users", core.CollectionNameSuperusers} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		field, ok := c.Fields.GetByName("password").(*core.PasswordField)
		if !ok {
			return fmt.Errorf("%s has no password field", name)
		}
		field.Cost = bcrypt.MinCost
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}

// RunMain runs the package's tests and removes the fixture template after.
// Use it from TestMain.
func RunMain(m *testing.M) int {
	code := m.Run()
	reportChecked()
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
	return code
}

// Record loads a record or fails the test.
func Record(t testing.TB, app core.App, collection, id string) *core.Record {
	t.Helper()
	r, err := app.FindRecordById(collection, id)
	if err != nil {
		t.Fatalf("find %s/%s: %v", collection, id, err)
	}
	return r
}
