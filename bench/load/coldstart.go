package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/bench/internal/machine"
	"cedarheights/freetime"
	"cedarheights/hooks/publicapi"
	"cedarheights/wiring"
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

var warmTime = flag.Bool("warm-time", false, "with -data (loaded): time the free-time warm-up in process (freetime.DefaultWarmPlan, not yielding) and exit")

// warmTimeRun times the warm-up alone: what a start costs the server.
func warmTimeRun(cfg config) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: cfg.dataDir})
	if err := wiring.Register(app, wiring.WithoutEngine()); err != nil {
		return err
	}
	if err := app.Bootstrap(); err != nil {
		return fmt.Errorf("open the data dir in process: %w", err)
	}
	defer app.ResetBootstrapState()
	plan := freetime.DefaultWarmPlan()
	plan.Yield = false
	plan.Answers = append(plan.Answers, publicapi.WarmTimeslots) // as wiring.WithFreeTimeWarmUp
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if *checkProfile != "" { // a CPU profile of the warm-up
		f, err := os.Create(*checkProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	r, err := freetime.For(app).Warm(context.Background(), app, plan)
	if *checkProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("free-time warm-up (%d weeks, %d public, %d worker): %d teacher-weeks in %d jobs, %s (the public default shape and answers in %s); heap %+.0f MiB (load average %s)\n",
		plan.Weeks, plan.PublicWeeks, plan.Workers, r.TeacherWeeks, r.Jobs, r.Took.Round(time.Millisecond), r.PublicReady.Round(time.Millisecond),
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), machine.LoadAvg())
	return nil
}
