package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/bench/internal/served"
	"cedarheights/hooks"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
)

// profile.go: where a list's time goes. The academy is wired in this
// process on a loaded data dir (the way the binary wires it, without the
// workflow engine), served on a loopback port, and each named endpoint is
// driven closed loop under the CPU profiler: one profile per endpoint, read
// with `go tool pprof -top -focus=hooks <file>`.
//
//	go run ./bench/load -data DIR -profile "lessons (parents),baseline: built-in list"

func profileRun(cfg config, names []string, outDir string) error {
	os.Setenv(hooks.RateLimitEnv, "off")
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: cfg.dataDir})
	// Wired before bootstrap, as main does: the settings hooks (the rate
	// limiter's switch) must see the first load.
	if err := wiring.Register(app, wiring.WithoutEngine()); err != nil {
		return err
	}
	if err := app.Bootstrap(); err != nil {
		return fmt.Errorf("open the data dir in process: %w", err)
	}
	defer app.ResetBootstrapState()
	router, err := apis.NewRouter(app)
	if err != nil {
		return err
	}
	event := &core.ServeEvent{App: app, Router: router}
	var ts *httptest.Server
	err = app.OnServe().Trigger(event, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		ts = httptest.NewServer(mux)
		return nil
	})
	if err != nil {
		return err
	}
	defer ts.Close()
	srv := server{&served.Server{Dir: cfg.dataDir, Base: ts.URL}}

	admin, err := srv.Login("users", "admin@demo.cedarheights.test", benchPassword)
	if err != nil {
		return err
	}
	parents, err := signIn(srv, "parent%04d@demo.cedarheights.test", cfg.parents)
	if err != nil {
		return err
	}
	teachers, err := signIn(srv, "teacher%02d@demo.cedarheights.test", cfg.teachers)
	if err != nil {
		return err
	}
	set := endpointsFor(srv, admin, parents, teachers)
	all := append([]endpoint{set.Baseline, set.BaselineTotal, set.StudentsAdmin, set.StudentsParent, set.PublicTeachers, set.PublicPricing}, set.Lists...)
	// The scheduling routes too, with the targets the load run gives them.
	s, err := sampleData(app)
	if err != nil {
		return err
	}
	all = append(all, checkConflictsEndpoint(srv, admin, s), timeslotsEndpoint(srv, s), weekViewEndpoint(srv, admin, s))
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	plan := cfg.closed
	plan.Runs = 1
	for _, name := range names {
		i := slices.IndexFunc(all, func(e endpoint) bool { return e.Name == name })
		if i < 0 {
			var known []string
			for _, e := range all {
				known = append(known, e.Name)
			}
			return fmt.Errorf("no endpoint %q; known: %s", name, strings.Join(known, "; "))
		}
		path := filepath.Join(outDir, strings.Map(func(r rune) rune {
			if r == ' ' || r == '(' || r == ')' || r == ':' || r == ',' {
				return '_'
			}
			return r
		}, name)+".pprof")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		closedLoop(all[i], plan) // warm
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		r := closedLoop(all[i], plan)
		pprof.StopCPUProfile()
		f.Close()
		logClosed(all[i], r)
		logf("  profile: %s", path)
	}
	return nil
}
