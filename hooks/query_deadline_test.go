package hooks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// endlessCount is a WHERE term SQLite would need hours to evaluate.
const endlessCount = "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n LIMIT 1000000000000) SELECT max(x) FROM n) > 0"

// TestDeadlineInterruptsRunningQuery pins what the deadline relies on: a
// context handed to RecordQuery (and to the lookups by id) reaches
// modernc's SQLite driver, which interrupts a statement computing its first
// row when the context ends. Cancelled here by hand: PocketBase's own
// per-query timeout would end in DeadlineExceeded, never in Canceled.
func TestDeadlineInterruptsRunningQuery(t *testing.T) {
	t.Parallel()
	app := bareApp(t)
	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	su := core.NewRecord(superusers)
	su.SetEmail("owner@cedarheights.test")
	su.SetRandomPassword()
	if err := app.Save(su); err != nil {
		t.Fatal(err)
	}
	// the lookups by id must find a row, or SQLite never evaluates the term
	var first struct{ Id string }
	if err := app.RecordQuery(superusers).Select("id").Limit(1).One(&first); err != nil {
		t.Fatal(err)
	}
	endless := func(q *dbx.SelectQuery) error {
		q.AndWhere(dbx.NewExp(endlessCount))
		return nil
	}

	for name, run := range map[string]func(a core.App) error{
		"RecordQuery": func(a core.App) error {
			var records []*core.Record
			return a.RecordQuery(superusers).AndWhere(dbx.NewExp(endlessCount)).All(&records)
		},
		"FindRecordById": func(a core.App) error {
			_, err := a.FindRecordById(superusers, first.Id, endless)
			return err
		},
		"FindRecordsByIds": func(a core.App) error {
			_, err := a.FindRecordsByIds(superusers, []string{first.Id}, endless)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			stop := time.AfterFunc(50*time.Millisecond, cancel) // only starts the cut; no duration is asserted
			defer stop.Stop()
			err := run(deadlineApp{App: app, ctx: ctx})
			// Canceled: the statement, hours from done, returned because
			// SQLite was interrupted when our context ended.
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v; want the query cut by its context", err)
			}
		})
	}
}

// TestDeadlineKeepsACarriedError: RecordQuery hands back a cancelled
// context to carry "collection not found"; the wrapper must not replace it
// (the query would then run and fail on the missing table instead).
func TestDeadlineKeepsACarriedError(t *testing.T) {
	t.Parallel()
	app := bareApp(t)
	var records []*core.Record
	err := deadlineApp{App: app, ctx: context.Background()}.RecordQuery("no_such_collection").All(&records)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want RecordQuery's own cancelled context", err)
	}
}

func TestQueryDeadlineFromEnv(t *testing.T) {
	app := bareApp(t)
	for raw, want := range map[string]time.Duration{
		"": defaultQueryDeadline, "2s": 2 * time.Second, "off": 0, "OFF": 0,
		"soon": defaultQueryDeadline, "-1s": defaultQueryDeadline, "0": defaultQueryDeadline,
	} {
		t.Setenv(QueryDeadlineEnv, raw)
		if got := queryDeadlineFromEnv(app); got != want {
			t.Errorf("%s=%q: %s, want %s", QueryDeadlineEnv, raw, got, want)
		}
	}
}

// bareApp is PocketBase bootstrapped in an empty data dir: its own
// collections, none of the academy's. These tests need no more, and
// tests.NewTestApp would run the academy's migrations over PocketBase's
// test data each time (about a second of CPU).
func bareApp(t *testing.T) *core.BaseApp {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir(), EncryptionEnv: "pb_test_env"})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.ResetBootstrapState() })
	return app
}
