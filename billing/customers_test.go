package billing_test

import (
	"errors"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// A crash between Stripe creating the customer and our saving its id: the
// rerun creates no second customer, whether the idempotency key (search
// lagging) or the metadata search (key expired) finds the first.
func TestEnsureCustomerSurvivesACrashBeforeTheSave(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		searchLag  bool
		forgetKeys bool
	}{
		{"idempotency key, search lagging", true, false},
		{"metadata search, key expired", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.stub.SetSearchLag(c.searchLag)
			crash := true
			e.app.OnRecordCreate("billing_customers").BindFunc(func(ev *core.RecordEvent) error {
				if crash {
					return errors.New("power cut")
				}
				return ev.Next()
			})

			if _, err := e.svc.EnsureCustomer(e.ctx, e.f.ParentA.ID); err == nil {
				t.Fatal("the crash did not surface")
			}
			if n := e.stub.Count("customer"); n != 1 {
				t.Fatalf("Stripe has %d customers after the first run", n)
			}
			if c.forgetKeys {
				e.stub.ForgetIdempotencyKeys()
			}
			crash = false
			id, err := e.svc.EnsureCustomer(e.ctx, e.f.ParentA.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := e.stub.Count("customer"); n != 1 {
				t.Fatalf("Stripe has %d customers after the rerun", n)
			}
			if got := e.stub.All("customer")[0]["id"]; got != id {
				t.Fatalf("saved %s, Stripe has %s", id, got)
			}
			again, err := e.svc.EnsureCustomer(e.ctx, e.f.ParentA.ID)
			if err != nil || again != id {
				t.Fatalf("third call: %s %v", again, err)
			}
			if n := e.stub.Calls("POST /v1/customers"); n > 2 {
				t.Errorf("%d create calls; a saved customer needs none", n)
			}
			meta := e.stub.All("customer")[0]["metadata"].(map[string]any)
			if meta["family_id"] != e.f.ParentA.ID {
				t.Errorf("metadata %v", meta)
			}
		})
	}
}

// Only a parent's account is a family.
func TestEnsureCustomerRefusesNonFamilies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, id := range []string{e.f.TeacherXUser.ID, e.f.Admin.ID, "nosuchuser0000"} {
		if _, err := e.svc.EnsureCustomer(e.ctx, id); err == nil {
			t.Errorf("%s got a customer", id)
		}
	}
	if n := e.stub.Count("customer"); n != 0 {
		t.Errorf("%d customers", n)
	}
}

// A parent's new email reaches its Stripe customer; offline the change is
// kept and marked unsynced for `billing resync`.
func TestCustomerEmailFollowsTheParent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, err := e.svc.EnsureCustomer(e.ctx, e.f.ParentA.ID)
	if err != nil {
		t.Fatal(err)
	}
	user := e.record("users", e.f.ParentA.ID)
	user.SetEmail("alice.new@cedarheights.test")
	if err := e.app.Save(user); err != nil {
		t.Fatal(err)
	}
	if got := e.stub.Get(id)["email"]; got != "alice.new@cedarheights.test" {
		t.Fatalf("Stripe email %v", got)
	}
	link, _ := e.app.FindFirstRecordByData("billing_customers", "family", e.f.ParentA.ID)
	if !link.GetBool("email_synced") || link.GetString("email") != "alice.new@cedarheights.test" {
		t.Errorf("link %v", link.FieldsData())
	}

	// The stand-in goes away: the user's change stands, the link is marked.
	e.stub.Close()
	user.SetEmail("alice.third@cedarheights.test")
	if err := e.app.Save(user); err != nil {
		t.Fatalf("the user's change failed with Stripe down: %v", err)
	}
	link, _ = e.app.FindFirstRecordByData("billing_customers", "family", e.f.ParentA.ID)
	if link.GetBool("email_synced") {
		t.Error("an unsent email is marked synced")
	}
}
