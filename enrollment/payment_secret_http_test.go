package enrollment_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"cedarheights/billing"
	"cedarheights/enrollment"
	"cedarheights/workflows"
)

// A card that needs 3-D Secure leaves the enrollment pending with the
// trial slot held; GET /api/v1/enrollments/{id}/payment hands the family
// (and admins) the client secret of that enrollment's own intent, read
// live from Stripe, for Stripe.js to confirm: a trial's pending SetupIntent
// (confirmCardSetup) or an incomplete subscription's first invoice's
// PaymentIntent (confirmCardPayment). Other families, teachers and the
// anonymous learn nothing; once Stripe's webhook ends the wait the route
// says there is nothing to pay and hands out no secret.
func TestPendingPaymentHandsTheFamilyItsClientSecret(t *testing.T) {
	t.Parallel()
	secretShape := regexp.MustCompile(`^(seti|pi)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$`)
	for _, c := range []struct {
		card, kind string
		intent     func(e *env, sub string) string // the intent Stripe holds for the subscription
		finish     func(e *env, sub, intent string) bool
	}{
		{"pm_card_threeDSecure2Required", billing.KindSetupIntent,
			func(e *env, sub string) string { return e.stub.SetupIntentOf(sub) },
			func(e *env, _, intent string) bool { return e.stub.ConfirmSetup(intent) }},
		{"pm_card_incomplete", billing.KindPaymentIntent,
			func(e *env, sub string) string {
				inv := e.stub.Get(str(e.stub.Get(sub)["latest_invoice"]))
				return str(inv["payment_intent"])
			},
			func(e *env, sub, _ string) bool { return e.stub.Complete(sub) }},
	} {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, enrollment.EnvHold, "10m")
			// The publishable key goes to the browser with the secret.
			cfg := billing.From(e.app).Config()
			cfg.PublishableKey = "pk_test_stub"
			t.Cleanup(billing.Use(e.app, cfg).Flush)
			status, body := e.post("/api/v1/enrollments?wait=5000", e.f.ParentA.Token, map[string]any{
				"student": e.pianoStudent("Tess"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": c.card})
			if status != http.StatusAccepted {
				t.Fatalf("status %d: %s", status, body["_raw"])
			}
			runID := str(body["run"])
			enr := e.waitPayment(runID)
			path := "/api/v1/enrollments/" + enr.Id + "/payment"
			// The start's answer, made while the run waits for the payment,
			// says where to ask.
			if body["waiting_for"] != "payment_setup" || body["payment_url"] != path {
				t.Errorf("the start's answer: waiting_for %v, payment_url %v (want %s)", body["waiting_for"], body["payment_url"], path)
			}

			sub := enr.GetString("stripe_subscription_id")
			intent := c.intent(e, sub)
			want := str(e.stub.Get(intent)["client_secret"])
			if intent == "" || !strings.HasPrefix(want, intent+"_secret_") || !secretShape.MatchString(want) {
				t.Fatalf("the stand-in's %s %q has client secret %q", c.kind, intent, want)
			}
			for _, who := range []struct {
				name, token string
			}{{"the family", e.f.ParentA.Token}, {"an admin", e.f.Admin.Token}} {
				status, got := e.get(path, who.token)
				if status != http.StatusOK || got["status"] != "requires_action" || got["kind"] != c.kind || got["client_secret"] != want || got["enrollment"] != enr.Id || got["publishable_key"] != "pk_test_stub" {
					t.Errorf("%s: %d %s (want requires_action, %s, %s)", who.name, status, got["_raw"], c.kind, want)
				}
			}
			for _, who := range []struct {
				name, token string
				status      int
			}{{"another family", e.f.ParentB.Token, 404}, {"a teacher", e.f.TeacherXUser.Token, 404}, {"anonymous", "", 401}} {
				status, got := e.get(path, who.token)
				if status != who.status || strings.Contains(str(got["_raw"]), "_secret_") {
					t.Errorf("%s: %d %s, want %d and no secret", who.name, status, got["_raw"], who.status)
				}
			}
			// Another family's answer is the one of an id that does not exist.
			_, missing := e.get("/api/v1/enrollments/nosuchenrollm1/payment", e.f.ParentB.Token)
			_, hidden := e.get(path, e.f.ParentB.Token)
			if missing["_raw"] != hidden["_raw"] {
				t.Errorf("hidden %s, missing %s", hidden["_raw"], missing["_raw"])
			}
			// The secret is nowhere in the database.
			raw, _ := json.Marshal(e.reload(enr))
			if strings.Contains(string(raw), "_secret_") {
				t.Errorf("the enrollment stores a client secret: %s", raw)
			}

			if !c.finish(e, sub, intent) {
				t.Fatalf("the %s was not waiting", c.kind)
			}
			if err := e.stub.DeliverPending(); err != nil {
				t.Fatal(err)
			}
			if run := e.waitRun(runID); run.Status != workflows.StatusCompleted {
				t.Fatalf("run %s: %s", run.Status, run.Error)
			}
			status, got := e.get(path, e.f.ParentA.Token)
			if status != http.StatusOK || got["status"] != billing.PaymentNone || got["client_secret"] != nil || got["publishable_key"] != nil {
				t.Errorf("after the webhook: %d %s", status, got["_raw"])
			}
		})
	}
}
