package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/bench/internal/machine"
	"cedarheights/freetime"
)

// coldstart.go: the scheduling routes right after a start, when the
// free-time cache is empty: the server is started on the loaded data dir
// and, as soon as it answers, check-conflicts and then the public
// timeslots are sent at the load run's rates. Twice: without the
// background warm-up (FREE_TIME_WARM_UP=off: only the requests derive)
// and with it, so both figures come from one run.
//
//	go run ./bench/load -bin bin/cedarheights -data DIR -cold-start

var coldStart = flag.Bool("cold-start", false, "with -data (loaded): time check-conflicts and public timeslots right after a start, without and with the free-time warm-up, and exit")

func coldStartRun(cfg config, srv server) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: cfg.dataDir})
	if err := app.Bootstrap(); err != nil {
		return fmt.Errorf("open the data dir in process: %w", err)
	}
	s, err := sampleData(app)
	app.ResetBootstrapState()
	if err != nil {
		return err
	}
	b := fmt.Appendf(nil, "\n#### Cold start (%s, load average %s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine.LoadAvg())
	b = fmt.Appendf(b, "| Server | Test | Rate (req/s) | p50 ms | p95 ms | p99 ms | Success |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, warm := range []string{"off", "on"} {
		os.Setenv(freetime.WarmUpEnv, warm)
		if err := srv.Start(); err != nil {
			return err
		}
		logf("cold start, warm-up %s: server up at %s", warm, srv.Base)
		admin, err := srv.Login("users", "admin@demo.cedarheights.test", benchPassword)
		if err != nil {
			srv.Stop()
			return err
		}
		label := "just started, warm-up " + warm
		for _, run := range []struct {
			test string
			e    endpoint
			rate float64
		}{
			{"check-conflicts with alternatives", checkConflictsEndpoint(srv, admin, s), cfg.checkRate},
			{"public timeslots, 30 days, all teachers of an instrument", timeslotsEndpoint(srv, s), cfg.atLoadRate},
		} {
			st := attack(run.e, run.rate, cfg.schedFor)
			logStep(run.e, st, true)
			b = fmt.Appendf(b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f%% |\n", label, run.test, run.rate, st.P50(), st.P95(), st.P99(), 100*st.Metrics.Success)
		}
		srv.Stop()
	}
	os.Unsetenv(freetime.WarmUpEnv)
	fmt.Print(string(b))
	return nil
}
