// Command load benchmarks the academy server the way the seed's users load
// it: it loads the benchmark data set (`demo --size bench`) into a temporary
// data dir, serves it on a loopback port and drives it with vegeta (as a
// library) from the same machine: open loop, each capacity searched as the
// highest arrival rate held; then closed loop (closedloop.go), each of the
// same endpoints saturated by a fixed number of clients, three runs, the
// median beside the open-loop figure. It prints the tables and writes them
// to bench/out/latest.md.
//
// It is not a test: it never fails on a timing, only when the server cannot
// start or requests fail wholesale.
//
//	go run ./bench/load -bin bin/cedarheights [-quick]
package main

import (
	"cedarheights/bench/internal/machine"
	"cedarheights/bench/internal/served"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// benchPassword is the demo command's shared password for demo accounts.
const benchPassword = "cedar-demo-2026"

type config struct {
	bin, dataDir, out string
	atLoadRate        float64
	atLoadFor         time.Duration
	parents, teachers int
	search            searchPlan
	loginFor          time.Duration
	loginSearch       searchPlan
	// scheduling figures (issue 3)
	checks    int
	checkRate float64
	weekRate  float64
	schedFor  time.Duration
	// the academy's size, and a loaded data dir to reuse (issue 14)
	size, stamp string
	reuse       bool
	// closed-loop saturation beside every capacity search
	closed closedPlan
}

func main() {
	var cfg config
	quick := flag.Bool("quick", false, "short steps and fewer bisections (about 8 minutes of load instead of ~25)")
	flag.StringVar(&cfg.bin, "bin", "", "the built academy binary (make bench builds bin/cedarheights)")
	flag.StringVar(&cfg.dataDir, "data", "", "reuse this data dir (kept afterwards) instead of a temporary one")
	flag.StringVar(&cfg.out, "out", "bench/out/latest.md", "where to write the table")
	flag.Float64Var(&cfg.atLoadRate, "rate", 200, "total req/s of the seed-load mix")
	flag.DurationVar(&cfg.atLoadFor, "duration", 20*time.Second, "length of the seed-load run")
	flag.DurationVar(&cfg.search.Step, "step", 4*time.Second, "length of one capacity step")
	flag.Float64Var(&cfg.search.Max, "max-rate", 20000, "highest rate the capacity search tries")
	flag.IntVar(&cfg.parents, "parents", 20, "parents whose tokens the load rotates through")
	flag.IntVar(&cfg.teachers, "teachers", 10, "teachers whose tokens the teachers' lists rotate through")
	flag.IntVar(&cfg.closed.Clients, "clients", 16, "closed-loop clients, each sending its next request when the last is answered")
	flag.DurationVar(&cfg.closed.For, "closed-duration", 3*time.Second, "measured length of one closed-loop run")
	flag.IntVar(&cfg.closed.Runs, "closed-runs", 3, "closed-loop runs per endpoint (the median is reported)")
	flag.IntVar(&cfg.checks, "checks", 2000, "lessons the in-process conflict check is timed on")
	flag.Float64Var(&cfg.checkRate, "check-rate", 50, "req/s of the check-conflicts and week-view runs")
	flag.DurationVar(&cfg.schedFor, "sched-duration", 15*time.Second, "length of each scheduling run")
	flag.Float64Var(&cfg.weekRate, "week-rate", 50, "req/s of the week-view run")
	flag.StringVar(&cfg.size, "size", "bench", "the demo size to load: bench, or scale (ten times the seed)")
	flag.BoolVar(&cfg.reuse, "reuse", false, "with -data: the data dir is loaded already; do not run the demo again")
	flag.StringVar(&cfg.stamp, "stamp", "", "with -data: write this to <data>/.loaded after a load (make bench-scale's cache key)")
	checkOnly := flag.Bool("check-only", false, "with -data: only time the in-process conflict check on the loaded data and exit")
	profile := flag.String("profile", "", "with -data: profile these endpoints (names as in the table, comma-separated) in process, closed loop, and exit")
	profileOut := flag.String("profile-out", "bench/out/profiles", "where -profile writes its CPU profiles")
	flag.Parse()
	cfg.closed.WarmUp, cfg.closed.Pause = 500*time.Millisecond, 300*time.Millisecond
	if *profile != "" && cfg.dataDir != "" {
		if err := profileRun(cfg, strings.Split(*profile, ","), *profileOut); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *warmTime && cfg.dataDir != "" {
		if err := warmTimeRun(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *checkOnly && cfg.dataDir != "" {
		if err := checkOnlyRun(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if cfg.bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	cfg.search.Start, cfg.search.Pause, cfg.search.Precision = 25, 2*time.Second, 0.1
	cfg.loginFor = 10 * time.Second
	cfg.loginSearch = searchPlan{Start: 4, Max: 400, Step: 5 * time.Second, Pause: 2 * time.Second, Precision: 0.15}
	if *quick {
		cfg.atLoadFor = min(cfg.atLoadFor, 5*time.Second)
		// Quick: start nearer the figures and bisect less (closed loop gives the steadier figure).
		cfg.search.Start, cfg.search.Step, cfg.search.Pause, cfg.search.Precision = 100, 1500*time.Millisecond, time.Second, 0.5
		cfg.loginFor = 3 * time.Second
		cfg.loginSearch.Step, cfg.loginSearch.Pause, cfg.loginSearch.Precision = 2*time.Second, time.Second, 0.3
		cfg.checks, cfg.schedFor = min(cfg.checks, 300), min(cfg.schedFor, 4*time.Second)
		cfg.closed.For, cfg.closed.WarmUp, cfg.closed.Pause = min(cfg.closed.For, time.Second), 250*time.Millisecond, 100*time.Millisecond
	}

	srv := server{&served.Server{Bin: cfg.bin, Dir: cfg.dataDir}}
	if *coldStart && cfg.dataDir != "" {
		if err := coldStartRun(cfg, srv); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			srv.Stop()
			os.Exit(1)
		}
		return
	}
	var once sync.Once
	cleanup := func() { once.Do(srv.Stop) }
	defer cleanup()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cleanup()
		os.Exit(130)
	}()

	if err := run(cfg, srv); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		cleanup()
		os.Exit(1)
	}
}

func run(cfg config, srv server) error {
	r := &report{Started: time.Now(), Size: cfg.size, Reused: cfg.dataDir != "", LoadAvg: machine.LoadAvg()}
	logf("loading the benchmark data (demo --size %s)…", cfg.size)
	loaded, err := srv.Prepare(r.Size, cfg.reuse)
	if err != nil {
		return err
	}
	r.LoadTime, r.Cached = loaded, cfg.reuse
	if cfg.stamp != "" && !cfg.reuse {
		if err := os.WriteFile(filepath.Join(srv.Dir, ".loaded"), []byte(cfg.stamp), 0o644); err != nil {
			return err
		}
	}
	if err := srv.Start(); err != nil {
		return err
	}
	logf("server up at %s", srv.Base)
	settle = srv.settle

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
	r.Students, r.Lessons, r.Teachers = srv.total("students", admin), srv.total("lessons", admin), srv.total("teachers", admin)

	set := endpointsFor(srv, admin, parents, teachers)
	r.Routes = set.Routes
	mix := []endpoint{set.StudentsAdmin, set.StudentsParent, set.PublicTeachers, set.PublicPricing}

	logf("warming up…")
	attackMix(mix, splitRate(cfg.atLoadRate/2, len(mix)), 3*time.Second)
	settle(time.Second)

	logf("seed load: %.0f req/s for %s over %d endpoints", cfg.atLoadRate, cfg.atLoadFor, len(mix))
	r.AtLoadRate = cfg.atLoadRate
	r.AtLoad = attackMix(mix, splitRate(cfg.atLoadRate, len(mix)), cfg.atLoadFor)
	r.AtLoadEndpoints = mix
	var sent, refused float64
	for i, s := range r.AtLoad {
		logStep(mix[i], s, s.Metrics.Latencies.P95 <= targetP95)
		sent += float64(s.Metrics.Requests)
		refused += float64(s.Refused)
	}
	// Slow answers are results; refused ones mean the server is broken.
	if sent == 0 || refused/sent > 0.5 {
		return fmt.Errorf("requests fail wholesale at the seed's load (%.0f of %.0f refused); errors: %v",
			refused, sent, r.AtLoad[0].Metrics.Errors)
	}
	settle(2 * time.Second)

	logf("capacity: highest rate with p95 ≤ 50 ms and ≥ 99%% success, %s steps", cfg.search.Step)
	within := criteria{MaxP95: 50 * time.Millisecond, MinSuccess: 0.99}
	measured := append([]endpoint{}, mix...)
	if set.StudentsAdminNoTotal.Path != "" {
		measured = append(measured, set.StudentsAdminNoTotal)
	}
	measured = append(measured, set.Lists...)
	measured = append(measured, set.BaselineTotal)
	for _, e := range append(measured, set.Baseline) {
		r.Capacity = append(r.Capacity, capacity(e, within, cfg.search))
		r.CapacityEndpoints = append(r.CapacityEndpoints, e)
	}

	logf("login (bcrypt-bound), apart")
	r.LoginLight = attack(set.Login, 2, cfg.loginFor)
	logStep(set.Login, r.LoginLight, r.LoginLight.Metrics.Success >= 0.99)
	settle(time.Second)
	r.LoginCriteria = criteria{MaxP95: 250 * time.Millisecond, MinSuccess: 0.99}
	r.LoginCapacity = capacity(set.Login, r.LoginCriteria, cfg.loginSearch)
	r.LoginEndpoint = set.Login

	settle(time.Second)
	var schedEndpoints []endpoint
	r.Scheduling, schedEndpoints, err = runScheduling(cfg, srv, admin, within, sustained(r.Capacity[len(r.Capacity)-1]))
	if err != nil {
		return err
	}

	// Closed loop: every endpoint that had a capacity search, the baseline
	// first in each round.
	settle(time.Second)
	closedSet := append([]endpoint{set.Baseline}, measured...)
	closedSet = append(append(closedSet, schedEndpoints...), set.Login)
	r.ClosedPlan = cfg.closed
	r.Closed = closedLoopAll(closedSet, cfg.closed)
	for _, e := range closedSet {
		r.ClosedOrder = append(r.ClosedOrder, e.Name)
	}
	r.ClosedLoad = machine.LoadAvg()

	r.Footprint = measureFootprint(srv)

	table := r.markdown()
	fmt.Println(table)
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.out, []byte(table), 0o644); err != nil {
			return err
		}
		logf("written to %s", cfg.out)
	}
	return nil
}

func splitRate(total float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = total / float64(n)
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

const builtinWithTotal = "built-in list with its total"

// endpointSet is what the benchmark drives. The /api/v1 routes are used
// when the server has them; otherwise PocketBase's built-in equivalents
// stand in (and the table says so).
type endpointSet struct {
	StudentsAdmin, StudentsParent, PublicTeachers, PublicPricing, Baseline, Login endpoint
	// StudentsAdminNoTotal is the route without the total count, like for
	// like with the baseline (only when the route is served).
	StudentsAdminNoTotal endpoint
	// BaselineTotal is the built-in list with its total count: the like
	// for like figure for our lists, which count by default.
	BaselineTotal endpoint
	// Lists are the other /api/v1 lists (issue 14: every one ≥ 1× the
	// built-in list), without their totals, like the baseline.
	Lists  []endpoint
	Routes string // "api/v1" or a note on stand-ins
}

// caller is a signed-in user the load speaks for: a token and its user id.
type caller struct{ token, id string }

// signIn logs in n demo users (email pattern with their number from 1).
func signIn(srv server, pattern string, n int) ([]caller, error) {
	var out []caller
	for i := 1; i <= n; i++ {
		token, err := srv.Login("users", fmt.Sprintf(pattern, i), benchPassword)
		if err != nil {
			return nil, err
		}
		var me struct {
			ID string `json:"id"`
		}
		if err := srv.call(http.MethodGet, "/auth/me", token, nil, &me); err != nil {
			return nil, err
		}
		out = append(out, caller{token, me.ID})
	}
	return out, nil
}

func endpointsFor(srv server, admin string, parents, teachers []caller) endpointSet {
	get := func(path, token string) vegeta.Target {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", token)
		}
		return vegeta.Target{Method: http.MethodGet, URL: srv.Base + path, Header: h}
	}
	pick := func(v1, builtin, token string) string {
		if srv.Status(v1, token) == http.StatusOK {
			return v1
		}
		return builtin
	}
	var standIns []string
	note := func(path string) {
		if !strings.HasPrefix(path, "/api/v1/") {
			standIns = append(standIns, path)
		}
	}

	var set endpointSet
	students := pick("/api/v1/students?per_page=20", "/api/collections/students/records?perPage=20", admin)
	note(students)
	set.StudentsAdmin = endpoint{Name: "students (admin)", Path: students, Targets: []vegeta.Target{get(students, admin)}, CountsTotal: true}
	if strings.HasPrefix(students, "/api/v1/") {
		noTotal := students + "&skip_total=1"
		set.StudentsAdminNoTotal = endpoint{Name: "students (admin, skip_total)", Path: noTotal, Targets: []vegeta.Target{get(noTotal, admin)}}
	}
	set.StudentsParent = endpoint{Name: "students (parents)", Path: students}
	for _, p := range parents {
		set.StudentsParent.Targets = append(set.StudentsParent.Targets, get(students, p.token))
	}
	catalogue := pick("/api/v1/public/teachers", "/api/collections/teachers/records?filter=(public=true%26%26active=true)", "")
	note(catalogue)
	set.PublicTeachers = endpoint{Name: "public teachers", Path: catalogue, Targets: []vegeta.Target{get(catalogue, "")}}
	pricing := pick("/api/v1/public/pricing", "/api/collections/pricing_plans/records", "")
	note(pricing)
	set.PublicPricing = endpoint{Name: "public pricing", Path: pricing, Targets: []vegeta.Target{get(pricing, "")}}
	baseline := "/api/collections/students/records?skipTotal=1&perPage=20"
	set.Baseline = endpoint{Name: "baseline: built-in list", Path: baseline, Targets: []vegeta.Target{get(baseline, admin)}}
	withTotal := "/api/collections/students/records?perPage=20"
	set.BaselineTotal = endpoint{Name: builtinWithTotal, Path: withTotal, Targets: []vegeta.Target{get(withTotal, admin)}}

	// The other /api/v1 lists (every GET under /api/v1 in wiring/routes.go
	// that answers a list; the scheduling ones are timed in scheduling.go),
	// each as its usual callers open it, without the total (like the
	// baseline); a route the server lacks is left out.
	office := []caller{{token: admin}}
	page := "per_page=20&skip_total=1"
	same := func(path string) func(caller) string { return func(caller) string { return path } }
	ownLedger := func(c caller) string { return "/api/v1/billing/families/" + c.id + "/ledger" }
	for _, l := range []struct {
		name    string
		callers []caller
		path    func(caller) string
	}{
		{"students (teachers)", teachers, same("/api/v1/students?" + page)},
		{"teachers (admin)", office, same("/api/v1/teachers?" + page)},
		{"teachers with windows (admin)", office, same("/api/v1/teachers?availability=1&" + page)},
		{"lessons (admin)", office, same("/api/v1/lessons?" + page)},
		{"lessons (parents)", parents, same("/api/v1/lessons?" + page)},
		{"lessons (teachers)", teachers, same("/api/v1/lessons?" + page)},
		{"payments (admin)", office, same("/api/v1/payments?" + page)},
		{"payments (parents)", parents, same("/api/v1/payments?" + page)},
		{"family ledger (parents)", parents, ownLedger},
		{"family ledger (admin)", billedFamilies(srv, admin), ownLedger},
		{"workflow runs (admin)", office, same("/api/v1/workflows/runs?" + page)},
		{"workflow runs (parents)", parents, same("/api/v1/workflows/runs?" + page)},
	} {
		if len(l.callers) == 0 || srv.Status(l.path(l.callers[0]), l.callers[0].token) != http.StatusOK {
			continue
		}
		e := endpoint{Name: l.name, Path: l.path(l.callers[0])}
		for _, c := range l.callers {
			e.Targets = append(e.Targets, get(l.path(c), c.token))
		}
		if p := l.path(caller{id: "{id}"}); p != e.Path {
			e.Path = p // one path per caller: show its shape
		}
		set.Lists = append(set.Lists, e)
	}

	set.Login = loginEndpoint(srv, len(parents))
	if !strings.HasSuffix(set.Login.Path, "/auth/login") {
		standIns = append(standIns, set.Login.Path)
	}
	set.Routes = "/api/v1 routes"
	if len(standIns) > 0 {
		set.Routes = "built-in stand-ins for routes not served yet: " + strings.Join(standIns, ", ")
	}
	return set
}

// billedFamilies are the families with payments, as the office opens
// their ledgers: the admin's token with each family's id.
func billedFamilies(srv server, admin string) []caller {
	var page struct {
		Items []struct {
			Family string `json:"family"`
		} `json:"items"`
	}
	if err := srv.call(http.MethodGet, "/api/v1/payments?per_page=200&skip_total=1", admin, nil, &page); err != nil {
		return nil
	}
	var out []caller
	seen := map[string]bool{}
	for _, p := range page.Items {
		if p.Family != "" && !seen[p.Family] {
			seen[p.Family] = true
			out = append(out, caller{token: admin, id: p.Family})
		}
	}
	return out
}

// loginEndpoint rotates through parents' logins, on /auth/login when the
// server has it.
func loginEndpoint(srv server, parents int) endpoint {
	type shape struct{ path, body string }
	shapes := []shape{
		{"/auth/login", `{"email":%q,"password":%q}`},
		{"/api/collections/users/auth-with-password", `{"identity":%q,"password":%q}`},
	}
	chosen := shapes[len(shapes)-1]
	for _, s := range shapes[:len(shapes)-1] {
		if srv.call(http.MethodPost, s.path, "", rawJSON(fmt.Sprintf(s.body, "parent0001@demo.cedarheights.test", benchPassword)), nil) == nil {
			chosen = s
			break
		}
	}
	e := endpoint{Name: "login (parents)", Path: "POST " + chosen.path}
	h := http.Header{"Content-Type": []string{"application/json"}}
	for i := 1; i <= max(parents, 1); i++ {
		body := fmt.Sprintf(chosen.body, fmt.Sprintf("parent%04d@demo.cedarheights.test", i), benchPassword)
		e.Targets = append(e.Targets, vegeta.Target{Method: http.MethodPost, URL: srv.Base + chosen.path, Body: []byte(body), Header: h})
	}
	return e
}

// rawJSON is a body that is already JSON.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
