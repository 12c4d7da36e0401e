// Command workflows benchmarks the workflow engine: checkpoint overhead,
// five-node runs per second, POST → first node started, event → waiting
// run resumed, 16 concurrent runs, recovery after kill -9 with 1,000 runs
// and 200 webhook-started runs in flight (the built server: first node
// resumed, all done, the pace against the same runs before the kill), and
// the same DAG run in memory without persistence (the seed's model) as a
// baseline. It prints one markdown
// table and writes it to bench/out/workflows.md.
//
// It is not a test: it never fails on a timing, only when runs fail or the
// server cannot start.
//
//	go run ./bench/workflows [-bin bin/crash-server] [-quick]
//	go run ./bench/workflows -ratio 3 [-cpuprofile cpu.prof [-phase steps|creates]]   # steps ÷ creates only, three times
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/bench/internal/machine"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

type config struct {
	bin, out      string
	sequential    int // runs for the checkpoint overhead
	throughput    int // runs for runs per second
	latencySample int // POSTs and events
	rounds        int // rounds of 16 concurrent runs
	inFlight      int // runs in flight at the kill
	workers       int
}

func main() {
	var cfg config
	quick := flag.Bool("quick", false, "smaller samples (about 20 s)")
	flag.StringVar(&cfg.bin, "bin", "", "the built crash-test server (tests/crash/server) for the recovery measurement (built into a temp dir when empty)")
	flag.StringVar(&cfg.out, "out", "bench/out/workflows.md", "where to write the table")
	flag.IntVar(&cfg.workers, "workers", 4, "engine workers (WORKFLOW_WORKERS)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the in-process measurements here")
	ratioOnly := flag.Int("ratio", 0, "only measure steps ÷ creates, this many times on fresh apps (for profiling the engine's writes)")
	flag.StringVar(&phaseProfile.name, "phase", "", "with -cpuprofile: profile only the steps or the creates (steps|creates)")
	memProfile := flag.String("memprofile", "", "write an allocation profile here when done (every phase; pprof -sample_index=alloc_space)")
	flag.Parse()
	if *memProfile != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if *cpuProfile != "" && phaseProfile.name != "" {
		phaseProfile.path = *cpuProfile
	} else if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	cfg.sequential, cfg.throughput, cfg.latencySample, cfg.rounds, cfg.inFlight = 400, 4000, 300, 40, 1000
	if *quick {
		cfg.sequential, cfg.throughput, cfg.latencySample, cfg.rounds = 100, 1000, 100, 10
	}
	os.Setenv("ACADEMY_RATE_LIMIT", "off")
	if *ratioOnly > 0 {
		if err := ratios(cfg, *ratioOnly); err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}

	report, err := run(cfg)
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Print(report)
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err == nil {
			os.WriteFile(cfg.out, []byte(report), 0o644)
		}
	}
}

func run(cfg config) (string, error) {
	var rows []row
	env, err := newInProcess(cfg)
	if err != nil {
		return "", err
	}
	defer env.close()

	warm := func(env *inProcess, cfg config) ([]row, error) { return nil, warmUp(env, cfg) }
	steps := []func(*inProcess, config) ([]row, error){
		measureCheckpoints, warm, measureThroughput, measureCreates, measurePostToFirstNode, measureEventToResume, measureConcurrent16,
	}
	for _, step := range steps {
		got, err := step(env, cfg)
		if err != nil {
			return "", err
		}
		rows = append(rows, got...)
	}
	recovery, err := measureRecovery(cfg, env.fiveNodePerSec)
	if err != nil {
		return "", err
	}
	rows = append(rows, recovery...)
	return render(cfg, rows, env.lockErrors()), nil
}

// ratios measures steps per second and creates per second n times, each
// pair on a fresh app, and prints every ratio and their median: the full
// benchmark's other measurements left out.
func ratios(cfg config, n int) error {
	var got []float64
	for range n {
		env, err := newInProcess(cfg)
		if err != nil {
			return err
		}
		if err := warmUp(env, cfg); err != nil {
			env.close()
			return err
		}
		if _, err := measureThroughput(env, cfg); err != nil {
			env.close()
			return err
		}
		rows, err := measureCreates(env, cfg)
		env.close()
		if err != nil {
			return err
		}
		fmt.Printf("%s: %s; %s; CPU and writes per step %s, per create %s; %.2f checkpoints per five-step run\n",
			time.Now().UTC().Format("15:04:05"), rows[0].value, rows[1].value, env.stepCost, env.createCost, env.commitsPerRun)
		got = append(got, env.fiveNodePerSec*5/env.createsPerSec)
	}
	slices.Sort(got)
	fmt.Printf("median %.2f× of %d\n", got[len(got)/2], n)
	return nil
}

// writtenBytes is what the process has written so far (/proc/self/io's
// wchar; 0 where there is none).
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// inProcess is an app in a temporary data dir with the engine and the
// academy's routes served on loopback, like `serve` but in this process so
// the engine's probes can be read.
type inProcess struct {
	app     *core.BaseApp
	eng     *workflows.Engine
	srv     *httptest.Server
	dir     string
	token   string
	mu      sync.Mutex
	probe   []time.Duration // checkpoint durations while recording
	record  bool
	started sync.Map // run id → time its first node started
	resumed sync.Map // run id → time the node after its wait started
	ended   sync.Map // run id → when its last checkpoint was announced (ended in a terminal status)
	logs    *lockWatch

	fiveNodePerSec float64 // measureThroughput's result, beside the recovery's pace
	createsPerSec  float64 // measureCreates' result
	stepCost       cost    // the process's CPU and writes while measureThroughput's runs ran
	commitsPerRun  float64 // checkpoints written per run there (a chain of quick steps commits once)
	createCost     cost    // and while measureCreates' creates ran

	waitFlow *workflows.Workflow[string, waitState]
}

func newInProcess(cfg config) (*inProcess, error) {
	dir, err := os.MkdirTemp("", "cedarheights-wfbench-")
	if err != nil {
		return nil, err
	}
	env := &inProcess{dir: dir, logs: &lockWatch{}}
	env.app = core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := env.app.Bootstrap(); err != nil {
		return nil, err
	}
	if err := env.app.RunAllMigrations(); err != nil {
		return nil, err
	}
	env.app.Settings().RateLimits.Enabled = false
	// The benchmark's own engine, on a registry of its workflows only.
	if err := wiring.Register(env.app, wiring.WithoutEngine()); err != nil {
		return nil, err
	}
	reg := workflows.NewRegistry()
	env.waitFlow = benchWait(env)
	if err := reg.Register(benchFive, benchFirst(env), env.waitFlow); err != nil {
		return nil, err
	}
	// The engine announces every checkpoint through the record hooks (as a
	// save would); the throughput measurement times runs by these, so it
	// need not read 4,000 run rows while the engine runs.
	env.app.OnRecordAfterUpdateSuccess("workflow_runs").BindFunc(func(e *core.RecordEvent) error {
		if workflows.Status(e.Record.GetString("status")).Terminal() {
			env.ended.Store(e.Record.Id, time.Now())
		}
		return e.Next()
	})
	env.eng = workflows.NewEngine(env.app, workflows.Options{
		Registry: reg, Workers: cfg.workers, NoSchedules: true, NoMail: true,
		OnCheckpoint: func(d time.Duration) {
			env.mu.Lock()
			if env.record {
				env.probe = append(env.probe, d)
			}
			env.mu.Unlock()
		},
	})
	su, err := superuser(env.app)
	if err != nil {
		return nil, err
	}
	env.token, err = su.NewAuthToken()
	if err != nil {
		return nil, err
	}
	router, err := apis.NewRouter(env.app)
	if err != nil {
		return nil, err
	}
	serve := &core.ServeEvent{App: env.app, Router: router}
	err = env.app.OnServe().Trigger(serve, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		env.srv = httptest.NewServer(mux)
		return nil
	})
	return env, err
}

func (env *inProcess) close() {
	if env.srv != nil {
		env.srv.Close()
	}
	env.eng.Stop()
	env.app.ResetBootstrapState()
	os.RemoveAll(env.dir)
}

func (env *inProcess) recordCheckpoints(on bool) []time.Duration {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.record = on
	out := env.probe
	if on {
		env.probe = nil
	}
	return out
}

func (env *inProcess) lockErrors() int { return env.logs.count() }

func superuser(app core.App) (*core.Record, error) {
	col, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(col)
	r.SetEmail("bench@cedarheights.test")
	r.SetPassword("bench-password-123")
	return r, app.Save(r)
}

// waitAll waits for runs to end and fails on any that did not complete.
func waitAll(app core.App, ids []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, id := range ids {
		r, err := workflows.Await(ctx, app, id)
		if err != nil {
			return err
		}
		if r.Status != workflows.StatusCompleted {
			return fmt.Errorf("run %s ended %s: %s", id, r.Status, r.Error)
		}
	}
	return nil
}

// pct is the q-quantile (0..1) of ds, in milliseconds.
func pct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

type row struct {
	measure, value, target, note string
}

func render(cfg config, rows []row, locked int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Workflow engine benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %d × %s, %s %s/%s; engine with %d workers, SQLite in WAL (PocketBase's defaults); "+
		"the DAG is five tasks in a row, each changing one field of the state.\n\n",
		runtime.NumCPU(), machine.CPUModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, cfg.workers)
	b.WriteString("| Measure | Result | Target | Notes |\n|---|---:|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.measure, r.value, r.target, r.note)
	}
	fmt.Fprintf(&b, "\n\"database is locked\" errors seen: %d.\n", locked)
	return b.String()
}

func check(ok bool, target string) string {
	if ok {
		return "✓ " + target
	}
	return "✗ " + target
}

// lockWatch counts "database is locked" errors reported to the engine's
// callers.
type lockWatch struct {
	mu sync.Mutex
	n  int
}

func (l *lockWatch) see(err error) {
	if err != nil && strings.Contains(err.Error(), "database is locked") {
		l.mu.Lock()
		l.n++
		l.mu.Unlock()
	}
}

func (l *lockWatch) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
