package billing_test

import (
	"sync"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/workflows"
)

// Each stored event gets one "stripe_event" run keyed by its id, started in
// the store's transaction; five deliveries make one run and one payment,
// and notices go to the email outbox.
func TestEventsAreProcessedByWorkflowRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribeA1(0)
	pending := e.stub.Pending()
	var wg sync.WaitGroup
	for range 5 {
		for _, ev := range pending {
			wg.Add(1)
			go func(ev stripestub.Obj) {
				defer wg.Done()
				if code, err := e.stub.Deliver(ev, stripestub.Delivery{}); err != nil || code != 200 {
					t.Errorf("%s: %d %v", ev["type"], code, err)
				}
			}(ev)
		}
	}
	wg.Wait()
	e.svc.Flush()

	for _, ev := range pending {
		id := ev["id"].(string)
		var runs int
		if err := e.app.DB().Select("COUNT(*)").From("workflow_runs").Where(dbx.HashExp{"idempotency_key": id}).Row(&runs); err != nil {
			t.Fatal(err)
		}
		if runs != 1 {
			t.Errorf("%s (%s): %d runs", id, ev["type"], runs)
		}
		if s := e.eventStatus(id); s != billing.EventProcessed && s != billing.EventIgnored {
			t.Errorf("%s (%s) is %s", id, ev["type"], s)
		}
	}
	paid := eventsOf(pending, "invoice.paid")[0]
	run := waitRun(t, e, paid["id"].(string))
	if run.Name != "stripe_event" {
		t.Errorf("run %+v", run)
	}
	invoice := paid["data"].(stripestub.Obj)["object"].(stripestub.Obj)["id"].(string)
	if n := e.count("payments", dbx.HashExp{"stripe_invoice_id": invoice}); n != 1 {
		t.Errorf("%d payments", n)
	}
	p, _ := e.app.FindFirstRecordByData("payments", "stripe_invoice_id", invoice)
	notice, err := e.app.FindFirstRecordByData("billing_notices", "source_key", "receipt:"+p.Id)
	if err != nil || notice.GetString("status") != "enqueued" || notice.GetString("outbox_id") == "" {
		t.Fatalf("receipt %v %v", notice, err)
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "billing:receipt:" + p.Id}); n != 1 {
		t.Errorf("%d receipts in the outbox", n)
	}
}

func waitRun(t *testing.T, e *env, key string) *workflows.Run {
	t.Helper()
	var id string
	if err := e.app.DB().Select("id").From("workflow_runs").Where(dbx.HashExp{"idempotency_key": key}).Row(&id); err != nil {
		t.Fatal(err)
	}
	var run *workflows.Run
	waitFor(t, "run "+id, func() bool {
		r, err := workflows.Get(e.app, id)
		run = r
		return err == nil && r.Status == workflows.StatusCompleted
	})
	return run
}
