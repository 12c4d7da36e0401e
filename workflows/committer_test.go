package workflows_test

import (
	"errors"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// TestGroupCommitUndoesOnlyTheFailedWrite: a write that fails (a lost
// lease, say) after writing leaves nothing, and the others of its batch
// commit, also the ones after it.
func TestGroupCommitUndoesOnlyTheFailedWrite(t *testing.T) {
	t.Parallel()
	app, eng := newEngine(t, registry(t))
	if _, err := app.DB().NewQuery("CREATE TABLE batch_probe (n INTEGER)").Execute(); err != nil {
		t.Fatal(err)
	}
	insert := func(n int, fail bool) func(core.App) error {
		return func(tx core.App) error {
			if _, err := tx.DB().NewQuery("INSERT INTO batch_probe (n) VALUES ({:n})").Bind(map[string]any{"n": n}).Execute(); err != nil {
				return err
			}
			if fail {
				return errors.New("lost the lease")
			}
			return nil
		}
	}
	errs := eng.CommitBatch(insert(1, false), insert(2, true), insert(3, false), insert(4, true))
	if errs[0] != nil || errs[1] == nil || errs[2] != nil || errs[3] == nil {
		t.Fatalf("errors %v; want only the 2nd and 4th to fail", errs)
	}
	var got []int
	if err := app.DB().NewQuery("SELECT n FROM batch_probe ORDER BY n").Column(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("committed %v; want [1 3]", got)
	}
}

// TestStatementsOutsideATransaction: the engine's statements (? for each
// argument) also run on an app that is not in a transaction, through dbx.
func TestStatementsOutsideATransaction(t *testing.T) {
	t.Parallel()
	app, _ := newEngine(t, registry(t))
	if _, err := app.DB().NewQuery("CREATE TABLE outside_probe (a TEXT, b INTEGER)").Execute(); err != nil {
		t.Fatal(err)
	}
	if err := workflows.ExecOutsideTx(app, "INSERT INTO outside_probe (a, b) VALUES (?, ?)", "x?", 7); err != nil {
		t.Fatal(err)
	}
	var a string
	var b int
	if err := app.DB().NewQuery("SELECT a, b FROM outside_probe").Row(&a, &b); err != nil || a != "x?" || b != 7 {
		t.Errorf("row %q %d (%v); want x? 7", a, b, err)
	}
}
