package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
)

// sync-prices is idempotent; a changed amount makes a new price and keeps
// the old one for the subscriptions on it; going back adopts the old one.
func TestSyncPricesGrandfathers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first, err := e.svc.SyncPrices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].Action != "created" || first[1].Action != "created" {
		t.Fatalf("first run %+v", first)
	}
	again, err := e.svc.SyncPrices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Action != "unchanged" {
			t.Errorf("rerun: %+v", r)
		}
	}
	if n := e.stub.Count("price"); n != 2 {
		t.Fatalf("%d prices after a rerun", n)
	}
	if n := e.stub.Count("product"); n != 2 {
		t.Fatalf("%d products", n)
	}

	sub := e.subscribeA1(0)
	oldPrice := e.record("pricing_plans", e.f.PlanPublic).GetString("stripe_price_id")
	plan := e.record("pricing_plans", e.f.PlanPublic)
	plan.Set("amount", 15000)
	if err := e.app.Save(plan); err != nil {
		t.Fatal(err)
	}
	changed, err := e.svc.SyncPrices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	newPrice := e.record("pricing_plans", e.f.PlanPublic).GetString("stripe_price_id")
	if newPrice == oldPrice || e.stub.Count("price") != 3 {
		t.Fatalf("changed amount: %+v", changed)
	}
	if p := e.stub.Get(oldPrice); p["active"] != true {
		t.Error("the old price was archived")
	}
	item := e.stub.Get(sub)["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if item["price"].(map[string]any)["id"] != oldPrice {
		t.Error("the existing subscription moved to the new price")
	}

	plan.Set("amount", 14000)
	if err := e.app.Save(plan); err != nil {
		t.Fatal(err)
	}
	back, err := e.svc.SyncPrices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.record("pricing_plans", e.f.PlanPublic).GetString("stripe_price_id") != oldPrice || e.stub.Count("price") != 3 {
		t.Errorf("going back: %+v", back)
	}

	// Inactive plans are left alone.
	plan.Set("active", false)
	if err := e.app.Save(plan); err != nil {
		t.Fatal(err)
	}
	skipped, _ := e.svc.SyncPrices(e.ctx)
	for _, r := range skipped {
		if r.Plan == plan.Id && r.Action != "skipped" {
			t.Errorf("inactive plan: %+v", r)
		}
	}
}

// Create with a trial, change plan, pause, resume, withdraw: the
// enrollment mirrors each, and the preview explains the next invoice.
func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.subscribeA1(14)
	e.deliver()
	enr := e.record("enrollments", e.f.EnrollmentA1)
	if enr.GetString("status") != "active" || enr.GetString("stripe_status") != "trialing" {
		t.Fatalf("trial: %s / %s", enr.GetString("status"), enr.GetString("stripe_status"))
	}
	if n := e.stub.Count("invoice"); n != 0 {
		t.Errorf("a trial made %d invoices", n)
	}
	if _, err := e.svc.Subscribe(e.ctx, e.f.EnrollmentA1, billing.SubscribeOptions{}); err == nil {
		t.Error("subscribed twice")
	}

	expect := func(step, status string, cancelAtEnd bool) *core.Record {
		t.Helper()
		e.deliver()
		r := e.record("enrollments", e.f.EnrollmentA1)
		if r.GetString("status") != status || r.GetBool("cancel_at_period_end") != cancelAtEnd {
			t.Fatalf("%s: %s cancel_at_period_end=%v", step, r.GetString("status"), r.GetBool("cancel_at_period_end"))
		}
		return r
	}

	if _, err := e.svc.ChangePlan(e.ctx, e.f.EnrollmentA1, e.f.PlanHidden); err != nil {
		t.Fatal(err)
	}
	r := expect("change plan", "active", false)
	if r.GetString("plan") != e.f.PlanHidden {
		t.Errorf("plan %s", r.GetString("plan"))
	}
	preview, err := e.svc.Preview(e.ctx, e.f.ParentA.ID)
	if err != nil {
		t.Fatal(err)
	}
	var prorations int
	for _, l := range preview.Lines {
		if l.Proration {
			prorations++
		}
		if l.Explanation == "" {
			t.Errorf("line without explanation: %+v", l)
		}
	}
	if preview.Source != "stripe" || prorations != 2 || len(preview.Lines) != 3 {
		t.Errorf("preview after a plan change: %+v", preview)
	}
	if !strings.Contains(preview.Lines[2].Explanation, "Staff rate tuition for Amy Anders with Xavier Xu") {
		t.Errorf("explanation %q", preview.Lines[2].Explanation)
	}

	if _, err := e.svc.Pause(e.ctx, e.f.EnrollmentA1); err != nil {
		t.Fatal(err)
	}
	expect("pause", "paused", false)
	if _, err := e.svc.Resume(e.ctx, e.f.EnrollmentA1); err != nil {
		t.Fatal(err)
	}
	expect("resume", "active", false)
	if _, err := e.svc.Withdraw(e.ctx, e.f.EnrollmentA1); err != nil {
		t.Fatal(err)
	}
	expect("withdraw", "withdrawn", true)

	// The period ends: Stripe deletes the subscription, the enrollment
	// stays withdrawn.
	e.stub.Advance(time.Second)
	e.stub.Renew(sub)
	r = expect("period end", "withdrawn", true)
	if r.GetString("stripe_status") != "canceled" {
		t.Errorf("stripe_status %s", r.GetString("stripe_status"))
	}
	// An ended subscription can be replaced.
	again, err := e.svc.Subscribe(e.ctx, e.f.EnrollmentA1, billing.SubscribeOptions{})
	if err != nil || again.GetString("stripe_subscription_id") == sub || again.GetString("status") != "active" {
		t.Fatalf("re-subscribe: %v %v", again, err)
	}
	if _, err := e.svc.Subscribe(e.ctx, e.f.EnrollmentA1, billing.SubscribeOptions{}); err == nil {
		t.Error("a live subscription was replaced")
	}
	if _, err := e.svc.Pause(e.ctx, e.f.EnrollmentB1); err == nil || !strings.Contains(err.Error(), "enrollment") {
		t.Errorf("pausing an enrollment without subscription: %v", err)
	}
}

// A school year charges the first and the last month up front, then nine
// installments, and ends by itself.
func TestSchoolYearPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plan := e.record("pricing_plans", e.f.PlanPublic)
	plan.Set("interval", "school_year")
	plan.Set("amount", 12000)
	if err := e.app.Save(plan); err != nil {
		t.Fatal(err)
	}
	sub := e.subscribeA1(0)
	e.deliver()
	inv := e.stub.All("invoice")[0]
	if inv["amount_due"] != int64(24000) {
		t.Fatalf("first invoice %v, want first and last month (24000)", inv["amount_due"])
	}
	cancelAt, _ := e.stub.Get(sub)["cancel_at"].(int64)
	months := time.Unix(cancelAt, 0).Sub(time.Now()).Hours() / 24 / 30.4
	if months < 9.5 || months > 10.5 {
		t.Errorf("the subscription ends after %.1f months, want 10 (the first and nine installments)", months)
	}
	p, _ := e.app.FindFirstRecordByData("payments", "stripe_invoice_id", inv["id"])
	if p == nil || p.GetInt("amount") != 24000 || p.GetString("status") != billing.StatusSucceeded {
		t.Fatalf("payment %v", p)
	}
}
