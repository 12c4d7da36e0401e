package doctor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// fixtures_test.go: the helpers that build an academy and break one
// invariant in it. Valid rows go through app.Save (the guard, the audit
// log); the bad value is then written with raw SQL, which no hook sees, so
// only the invariant under test breaks.

// cleanApp is the fixture academy with its two payments settled in the
// ledger: the template seeds them with app.Save, without the payment
// entries billing writes beside a payment (see TestFixturePaymentsLackLedger).
func cleanApp(t *testing.T) (*tests.TestApp, *testapp.Fixtures) {
	t.Helper()
	app, f := testapp.New(t, wiring.WithoutEngine())
	ledger(t, app, map[string]any{"family": f.ParentA.ID, "kind": "payment", "amount": -14000, "payment": f.PaymentA,
		"method": "stripe", "stripe_payment_intent": "pi_a", "source_key": "pi:pi_a:payment"})
	ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "payment", "amount": -5000, "payment": f.PaymentB,
		"method": "cash", "source_key": "offline:" + f.PaymentB + ":payment"})
	return app, f
}

// ledger posts an entry as billing's post does (billing's own tests cover
// post; here only the rows matter).
func ledger(t *testing.T, app core.App, data map[string]any) string {
	t.Helper()
	base := map[string]any{"currency": "cad", "description": "test entry", "occurred_at": types.NowDateTime()}
	for k, v := range data {
		base[k] = v
	}
	return save(t, app, "ledger_entries", base)
}

func save(t *testing.T, app core.App, collection string, data map[string]any) string {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Load(data)
	if err := app.Save(r); err != nil {
		t.Fatalf("save %s %v: %v", collection, data, err)
	}
	return r.Id
}

// update changes a record the way the app would (hooks, audit).
func update(t *testing.T, app core.App, collection, id string, data map[string]any) {
	t.Helper()
	r := testapp.Record(t, app, collection, id)
	for k, v := range data {
		r.Set(k, v)
	}
	if err := app.Save(r); err != nil {
		t.Fatalf("update %s %s: %v", collection, id, err)
	}
}

// raw runs SQL behind the app's back.
func raw(t *testing.T, app core.App, sql string, params dbx.Params) {
	t.Helper()
	if _, err := app.DB().NewQuery(sql).Bind(params).Execute(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dbt(tm time.Time) string { return tm.UTC().Format(types.DefaultDateLayout) }

// lesson books a lesson through the guard.
func lesson(t *testing.T, app core.App, data map[string]any) string {
	t.Helper()
	base := map[string]any{"kind": "regular", "status": "scheduled"}
	for k, v := range data {
		base[k] = v
	}
	return save(t, app, "lessons", base)
}

// pianoX is a 30-minute piano lesson of teacher X with student A2 (no room).
func pianoX(f *testapp.Fixtures, start time.Time) map[string]any {
	return map[string]any{"teacher": f.TeacherX, "student": f.StudentA2, "instrument": f.Piano,
		"start": start, "end": start.Add(30 * time.Minute)}
}

// mondaysForY gives teacher Y the Monday afternoon teacher X has.
func mondaysForY(t *testing.T, app core.App, f *testapp.Fixtures) {
	t.Helper()
	save(t, app, "availability", map[string]any{"teacher": f.TeacherY, "weekday": 1, "start_time": "15:00", "end_time": "19:00"})
}

// cancel cancels a lesson as the academy (the policy grants a credit).
func cancel(t *testing.T, app core.App, id string) string {
	t.Helper()
	update(t, app, "lessons", id, map[string]any{"status": "cancelled"})
	credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", id)
	if err != nil {
		t.Fatalf("no credit for lesson %s: %v", id, err)
	}
	return credit.Id
}

func ref(collection, id string) string { return collection + ":" + id }

func newID(prefix string) string {
	return fmt.Sprintf("%s%014d", prefix, time.Now().UnixNano()%1e14)
}
