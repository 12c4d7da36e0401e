package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"cedarheights/tests/crash"
)

// measureRecovery: the built server with 1,000 runs of the crash workflow
// in flight is killed with SIGKILL; how long until it serves again, and
// until every run has completed, each effect performed once.
func measureRecovery(cfg config) ([]row, error) {
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
	srv := crash.NewServer(bin, tmp+"/data",
		"ACADEMY_CRASHTEST_WORKFLOW=1", "ACADEMY_CRASHTEST_URL="+standIn.URL, "ACADEMY_CRASHTEST_DELAY_MS=2",
		"WORKFLOW_WORKERS="+strconv.Itoa(cfg.workers))
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

	n := cfg.inFlight
	effects := 4 * n // four tasks with an effect per run
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if _, err := client.StartRun("crashtest", map[string]string{"tag": strconv.Itoa(i)}, "recovery-"+strconv.Itoa(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	for standIn.Effects() < effects/4 {
		time.Sleep(time.Millisecond)
	}
	if err := srv.Kill(); err != nil {
		return nil, err
	}
	atKill := standIn.Effects()

	restarted := time.Now()
	if err := srv.Start(); err != nil {
		return nil, err
	}
	serving := time.Since(restarted)
	for standIn.Effects() == atKill && time.Since(restarted) < time.Minute {
		time.Sleep(time.Millisecond)
	}
	resumed := time.Since(restarted)
	client.URL = srv.URL
	var completed time.Duration
	for deadline := time.Now().Add(5 * time.Minute); ; {
		runs, err := client.Runs("crashtest")
		if err != nil {
			return nil, err
		}
		done := 0
		for _, r := range runs {
			if r.Status == "completed" {
				done++
			}
		}
		if done == n {
			completed = time.Since(restarted)
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("after the restart %d of %d runs completed in 5 minutes", done, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := standIn.Effects(); got != effects {
		return nil, fmt.Errorf("the stand-in performed %d effects, want %d", got, effects)
	}
	srv.Stop()
	locked := strings.Count(srv.Output(), "database is locked")
	note := fmt.Sprintf("killed with %d of %d effects done; every run completed, each effect once", atKill, effects)
	if locked > 0 {
		note += fmt.Sprintf("; %d \"database is locked\" lines in the server log", locked)
	}
	return []row{{
		measure: fmt.Sprintf("Recovery after kill -9 with %d runs in flight (built server)", n),
		value:   fmt.Sprintf("serving %.2f s, first node resumed %.2f s, all runs done %.2f s after the restart", serving.Seconds(), resumed.Seconds(), completed.Seconds()),
		target:  "",
		note:    note,
	}}, nil
}
