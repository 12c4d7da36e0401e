package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/billing/stripestub"
	"cedarheights/tests/crash"
)

// measureRecovery: the built server with 1,000 crash-test runs and 200
// webhook-started stripe_event runs in flight is killed with SIGKILL and,
// where the harness can, left unreaped (its pid still looks alive, as under
// a parent that does not reap). How long until it serves again, until the
// first node resumes and until every run has completed, each effect and
// event once; and the pace of the resumed runs against the same runs on the
// same server before the kill, and against the five-node throughput
// measured in-process in this run (fiveNode runs/s).
func measureRecovery(cfg config, fiveNode float64) ([]row, error) {
	tmp, err := os.MkdirTemp("", "cedarheights-wfrecovery-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := cfg.bin
	if bin == "" {
		if bin, err = crash.Build(tmp); err != nil {
			return nil, err
		}
	}
	standIn := crash.NewStandIn()
	defer standIn.Close()
	stripe := stripestub.Start()
	defer stripe.Close()
	stripe.WebhookSecret = "whsec_bench_recovery"
	srv := crash.NewServer(bin, tmp+"/data",
		"ACADEMY_CRASHTEST_URL="+standIn.URL, "ACADEMY_CRASHTEST_DELAY_MS=2",
		"WORKFLOW_WORKERS="+strconv.Itoa(cfg.workers),
		"STRIPE_WEBHOOK_SECRET="+stripe.WebhookSecret, "STRIPE_SECRET_KEY=sk_test_bench", "STRIPE_API_BASE="+stripe.URL)
	srv.LeaveZombies = crash.ZombiesSupported()
	const email, password = "bench@cedarheights.test", "bench-password-123"
	if err := srv.Superuser(email, password); err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer srv.Kill()
	client, err := crash.Login(srv.URL, email, password)
	if err != nil {
		return nil, err
	}
	stripe.WebhookURL = srv.URL + "/api/v1/stripe/webhooks"

	// The pace of these runs on this server, nothing killed: half as many,
	// posted the same way, from the first POST to the last completion.
	calib := cfg.inFlight / 2
	began := time.Now()
	if err := startCrashRuns(client, "pace-", calib); err != nil {
		return nil, err
	}
	if _, err := waitCompleted(client, "crashtest", calib, began); err != nil {
		return nil, err
	}
	paceBefore := float64(calib) / time.Since(began).Seconds()

	n, hooks := cfg.inFlight, cfg.inFlight/5
	effects := 4 * n // four tasks with an effect per run
	base := standIn.Effects()
	if err := startCrashRuns(client, "recovery-", n); err != nil {
		return nil, err
	}
	if err := deliverWebhooks(stripe, hooks); err != nil {
		return nil, err
	}
	for standIn.Effects()-base < effects/4 {
		time.Sleep(time.Millisecond)
	}
	if err := srv.Kill(); err != nil {
		return nil, err
	}
	atKill := standIn.Effects() - base

	restarted := time.Now()
	if err := srv.Start(); err != nil {
		return nil, err
	}
	serving := time.Since(restarted)
	for standIn.Effects()-base == atKill && time.Since(restarted) < time.Minute {
		time.Sleep(time.Millisecond)
	}
	resumed := time.Since(restarted)
	client.URL = srv.URL
	if _, err := waitCompleted(client, "crashtest", calib+n, restarted); err != nil {
		return nil, err
	}
	completed, err := waitCompleted(client, "stripe_event", hooks, restarted)
	if err != nil {
		return nil, err
	}
	if got := standIn.Effects() - base; got != effects {
		return nil, fmt.Errorf("the stand-in performed %d effects, want %d", got, effects)
	}

	// Runs finished after the restart, and when the last of them did.
	crashAfter, crashLast, err := finishedAfter(client, "crashtest", restarted)
	if err != nil {
		return nil, err
	}
	hooksAfter, hooksLast, err := finishedAfter(client, "stripe_event", restarted)
	if err != nil {
		return nil, err
	}
	// From the first resumed node: the server's start is in "serving".
	paceAfter := float64(crashAfter) / crashLast.Sub(restarted.Add(resumed)).Seconds()
	srv.Stop()
	locked := strings.Count(srv.Output(), "database is locked")

	unreaped := "the killed process left unreaped (a zombie: its pid still answers)"
	if !srv.LeaveZombies {
		unreaped = "the killed process reaped"
	}
	note := fmt.Sprintf("killed with %d of %d effects done and %d of %d webhook events processed, %s; "+
		"webhook events all processed %.2f s after the restart; every run completed, each effect and event once",
		atKill, effects, hooks-hooksAfter, hooks, unreaped, hooksLast.Sub(restarted).Seconds())
	if locked > 0 {
		note += fmt.Sprintf("; %d \"database is locked\" lines in the server log", locked)
	}
	return []row{
		{
			measure: fmt.Sprintf("Recovery after kill -9 with %d runs and %d webhook-started runs in flight (built server)", n, hooks),
			value: fmt.Sprintf("serving %.2f s, first node resumed %.2f s, all runs done %.2f s after the restart",
				serving.Seconds(), resumed.Seconds(), completed.Seconds()),
			target: check(resumed <= time.Second, "first node ≤ 1 s"),
			note:   note,
		},
		{
			measure: "Pace of the resumed runs",
			value: fmt.Sprintf("%.0f runs/s after the restart, %.0f runs/s before the kill (%.0f %%)",
				paceAfter, paceBefore, 100*paceAfter/paceBefore),
			target: "",
			note: fmt.Sprintf("%d crash-test runs (five nodes, four with an HTTP effect and 2×2 ms waits) finished after the restart, "+
				"from the first resumed node to the last; before: %d of them posted and run to the end on the same server; "+
				"the five-node runs (no effects) measured in-process above: %.0f runs/s", crashAfter, calib, fiveNode),
		},
	}, nil
}

// startCrashRuns posts n crash-test runs from 8 goroutines.
func startCrashRuns(client *crash.Client, prefix string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := client.StartRun("crashtest", map[string]string{"tag": strconv.Itoa(i)}, prefix+strconv.Itoa(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// deliverWebhooks sends n signed Stripe events (a type billing stores and
// ignores: each is one stripe_event run) from 8 goroutines.
func deliverWebhooks(stripe *stripestub.Server, n int) error {
	events := make([]stripestub.Obj, n)
	for i := range events {
		events[i] = stripe.Emit("customer.updated", stripestub.Obj{"id": "cus_recovery_" + strconv.Itoa(i), "object": "customer"})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if code, err := stripe.Deliver(events[i], stripestub.Delivery{}); err != nil || code != http.StatusOK {
					errs <- fmt.Errorf("webhook %d: %d %v", i, code, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// waitCompleted waits (5 minutes at most) until want runs of workflow have
// completed and returns the time since since.
func waitCompleted(client *crash.Client, workflow string, want int, since time.Time) (time.Duration, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		done, err := client.Count(workflow, "completed")
		if err != nil {
			return 0, err
		}
		if done >= want {
			return time.Since(since), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d %s runs completed in 5 minutes", done, want, workflow)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// finishedAfter counts the runs of workflow that finished after t, and
// when the last of them did.
func finishedAfter(client *crash.Client, workflow string, t time.Time) (int, time.Time, error) {
	runs, err := client.Runs(workflow)
	if err != nil {
		return 0, time.Time{}, err
	}
	count, last := 0, t
	for _, r := range runs {
		at, err := types.ParseDateTime(r.Finished)
		if err != nil {
			return 0, time.Time{}, err
		}
		if at.Time().After(t) {
			count++
			if at.Time().After(last) {
				last = at.Time()
			}
		}
	}
	return count, last, nil
}
