package crash

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/billing/stripestub"
)

// TestKillNineResumesAtOnce: the runs a killed server leased resume as soon
// as it restarts: crash-test runs mid-way and the stripe_event runs of
// webhooks it had just accepted (leased to it from the moment they were
// stored). WORKFLOW_LEASE is ten minutes, so waiting for the dead
// process's leases would time the test out, and the killed process is left
// unreaped, so its pid still looks alive.
func TestKillNineResumesAtOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	if !ZombiesSupported() {
		t.Skip("cannot leave a killed server unreaped here")
	}
	bin := serverBinary(t)
	standIn := NewStandIn()
	defer standIn.Close()
	stripe := stripestub.Start()
	defer stripe.Close()
	stripe.WebhookSecret = "whsec_crash_recovery"

	srv := NewServer(bin, t.TempDir(),
		"ACADEMY_CRASHTEST_URL="+standIn.URL, "ACADEMY_CRASHTEST_DELAY_MS=15",
		"WORKFLOW_WORKERS=4", "WORKFLOW_LEASE=10m",
		"STRIPE_WEBHOOK_SECRET="+stripe.WebhookSecret, "STRIPE_SECRET_KEY=sk_test_crash", "STRIPE_API_BASE="+stripe.URL)
	srv.LeaveZombies = true
	if err := migrated(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Kill()
	client, err := Login(srv.URL, superEmail, superPassword)
	if err != nil {
		t.Fatal(err)
	}

	// Crash-test runs first, so the webhooks' runs queue behind them.
	const runs, events = 40, 20
	for i := range runs {
		if _, err := client.StartRun("crashtest", map[string]string{"tag": strconv.Itoa(i)}, "resume-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	stripe.WebhookURL = srv.URL + "/api/v1/stripe/webhooks"
	for i := range events {
		ev := stripe.Emit("customer.updated", stripestub.Obj{"id": fmt.Sprintf("cus_resume_%d", i), "object": "customer"})
		if code, err := stripe.Deliver(ev, stripestub.Delivery{}); err != nil || code != http.StatusOK {
			t.Fatalf("delivery %d: %d %v", i, code, err)
		}
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if atKill := standIn.Effects(); atKill >= 4*runs {
		t.Fatalf("every effect happened before the kill (%d): not mid-run", atKill)
	}

	restarted := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	client = client.withURL(srv.URL)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server output:\n%s", srv.Output())
		}
	})
	waitAllCompleted(t, client, "crashtest", runs)
	waitAllCompleted(t, client, "stripe_event", events)
	if got := standIn.Effects(); got != 4*runs {
		t.Errorf("the stand-in performed %d effects, want %d", got, 4*runs)
	}
	stored, err := client.Records("stripe_events")
	if err != nil {
		t.Fatal(err)
	}
	after := 0
	for _, ev := range stored {
		if ev["status"] != "ignored" || ev["attempts"] != 1.0 {
			t.Errorf("event %v: status %v after %v attempts, want ignored after 1", ev["event_id"], ev["status"], ev["attempts"])
		}
		at, err := types.ParseDateTime(ev["processed_at"])
		if err != nil {
			t.Fatal(err)
		}
		if at.Time().After(restarted) {
			after++
		}
	}
	if len(stored) != events {
		t.Errorf("%d stored events, want %d", len(stored), events)
	}
	if after == 0 {
		t.Fatal("every webhook was processed before the kill: no webhook-started run was left to resume")
	}
	t.Logf("%d of %d webhook events were processed after the restart", after, events)
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
}
