// Command queries checks issue 9 item 2 ("no request may hold the
// database") on the benchmark data: it loads `demo --size bench` into a
// temporary data dir (or reuses one), serves it, and sends a generated set
// of deep and wide filters, sorts and expands through the record API as a
// parent, a teacher, the academy's admin and (a sample) a superuser. Each
// must be answered or refused within a second (superusers: within the
// query deadline). It prints a markdown table of the wall times and writes
// it to bench/out/queries.md.
//
// It is not a test: it never fails on a timing, only when the server cannot
// start or sign in.
//
//	go run ./bench/queries -bin bin/cedarheights [-data dir] [-n 60] [-quick]
package main

import (
	"cedarheights/bench/internal/served"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	demoPassword = "cedar-demo-2026"
	demoDomain   = "demo.cedarheights.test"
	target       = time.Second
)

type config struct {
	bin, dataDir, out string
	perKind, suSample int
	seed              uint64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "the built academy binary (make bench builds bin/cedarheights)")
	flag.StringVar(&cfg.dataDir, "data", "", "reuse this data dir, already loaded with demo --size bench (kept afterwards)")
	flag.StringVar(&cfg.out, "out", "bench/out/queries.md", "where to write the table")
	flag.IntVar(&cfg.perKind, "n", 60, "generated queries per kind (filter, sort, expand) and role")
	flag.IntVar(&cfg.suSample, "superuser-sample", 8, "of those, how many per kind a superuser also sends (each may run until the deadline)")
	flag.Uint64Var(&cfg.seed, "seed", 9, "seed of the generator")
	quick := flag.Bool("quick", false, "fewer requests (20 per kind and role, 3 per kind for the superuser)")
	flag.Parse()
	if *quick {
		cfg.perKind, cfg.suSample = min(cfg.perKind, 20), min(cfg.suSample, 3)
	}
	if cfg.bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	srv := server{&served.Server{Bin: cfg.bin, Dir: cfg.dataDir}}
	err := run(cfg, srv)
	srv.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg config, srv server) error {
	if _, err := srv.Prepare("bench", true); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	logf("server up at %s", srv.Base)

	su, err := srv.Login("_superusers", served.SuperuserEmail, served.SuperuserPassword)
	if err != nil {
		return err
	}
	g, err := loadGraph(srv, su)
	if err != nil {
		return err
	}
	roles := []struct{ name, email string }{
		{"parent", "parent0001@" + demoDomain},
		{"teacher", "teacher01@" + demoDomain},
		{"admin", "admin@" + demoDomain},
	}
	set := generate(g, rand.New(rand.NewPCG(cfg.seed, 2)), cfg.perKind)
	var results []result
	for _, role := range roles {
		token, err := srv.Login("users", role.email, demoPassword)
		if err != nil {
			return err
		}
		logf("%s: %d requests", role.name, len(set))
		results = append(results, send(srv, role.name, token, set)...)
	}
	sample := sampleDeepest(set, cfg.suSample)
	logf("superuser: %d requests (exempt from the limits; bounded by the deadline)", len(sample))
	results = append(results, send(srv, "superuser", su, sample)...)

	table := report(results, cfg, g.lessons)
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

// request is one generated record-API list request.
type request struct {
	kind       string // filter, sort or expand
	collection string
	query      url.Values
	hops       int // the longest path's relations, to pick the deepest
}

func (r request) path() string {
	return "/api/collections/" + r.collection + "/records?" + r.query.Encode()
}

type result struct {
	role string
	req  request
	code int
	took time.Duration
}

func send(srv server, role, token string, set []request) []result {
	out := make([]result, 0, len(set))
	for _, r := range set {
		started := time.Now()
		code := srv.Status(r.path(), token)
		out = append(out, result{role: role, req: r, code: code, took: time.Since(started)})
	}
	return out
}

// sampleDeepest picks, per kind, the n requests with the longest paths.
func sampleDeepest(set []request, n int) []request {
	var out []request
	for _, kind := range []string{"filter", "sort", "expand"} {
		var of []request
		for _, r := range set {
			if r.kind == kind {
				of = append(of, r)
			}
		}
		slices.SortStableFunc(of, func(a, b request) int { return b.hops - a.hops })
		out = append(out, of[:min(n, len(of))]...)
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func report(results []result, cfg config, lessons int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Client queries on the benchmark data (issue 9 item 2)\n\n")
	fmt.Fprintf(&b, "%s · %d lessons · %d generated requests per role (seed %d) · target: answered or refused within %s\n\n",
		time.Now().Format("2006-01-02 15:04"), lessons, cfg.perKind*3, cfg.seed, target)
	fmt.Fprintf(&b, "| role | kind | sent | 200 | 400 refused | other | p50 | p99 | max | over %s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", target)
	type key struct{ role, kind string }
	groups := map[key][]result{}
	var order []key
	for _, r := range results {
		k := key{r.role, r.req.kind}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		rs := groups[k]
		var took []time.Duration
		ok, refused, other, over := 0, 0, 0, 0
		for _, r := range rs {
			took = append(took, r.took)
			switch r.code {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
				refused++
			default:
				other++
			}
			if r.took > target {
				over++
			}
		}
		slices.Sort(took)
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s | %s | %s | %d |\n", k.role, k.kind, len(rs), ok, refused, other,
			ms(quantile(took, 0.5)), ms(quantile(took, 0.99)), ms(took[len(took)-1]), over)
	}
	slowest := slices.Clone(results)
	slices.SortFunc(slowest, func(a, b result) int { return int(b.took - a.took) })
	fmt.Fprintf(&b, "\nSlowest requests:\n\n| role | status | time | request |\n|---|---:|---:|---|\n")
	for _, r := range slowest[:min(10, len(slowest))] {
		q, _ := url.QueryUnescape(r.req.query.Encode())
		fmt.Fprintf(&b, "| %s | %d | %s | `%s` %s |\n", r.role, r.code, ms(r.took), r.req.collection, strings.ReplaceAll(q, "|", "\\|"))
	}
	return b.String()
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
