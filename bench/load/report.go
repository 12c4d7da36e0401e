package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report gathers every figure of a run; markdown renders it as one table.
type report struct {
	Started                     time.Time
	Size                        string
	LoadTime                    time.Duration
	Reused                      bool   // -data: the load was an idempotent re-run
	LoadAvg                     string // /proc/loadavg before the run: others' work skews figures
	Students, Lessons, Teachers int
	Routes                      string

	AtLoadRate      float64
	AtLoad          []step
	AtLoadEndpoints []endpoint

	Capacity          []step // the last is the baseline
	CapacityEndpoints []endpoint

	LoginLight, LoginCapacity step
	LoginCriteria             criteria
	LoginEndpoint             endpoint

	Scheduling *schedulingReport
	Cached     bool // -reuse: a data dir loaded by an earlier run
	Footprint  footprint
}

// Targets of issue 2, the ratio raised by issue 14: every /api/v1 list
// at least the built-in list's capacity.
const (
	targetP95      = 5 * time.Millisecond
	targetRatio    = 1.0
	capacityMaxP95 = 50 * time.Millisecond
)

func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Load benchmark, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %d × %s, %s %s/%s; the generator (vegeta v12.13.0, as a library) shares the machine.  \n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if r.LoadAvg != "" {
		fmt.Fprintf(&b, "Load average before the run: %s (anything else running on the cores skews the figures).  \n", r.LoadAvg)
	}
	loaded := "loaded in " + r.LoadTime.Round(100*time.Millisecond).String()
	switch {
	case r.Cached:
		loaded = "loaded by an earlier run (its load time is in that run's report)"
	case r.Reused:
		loaded = "already loaded (re-run in " + r.LoadTime.Round(100*time.Millisecond).String() + ")"
	}
	fmt.Fprintf(&b, "Data: `demo --size %s` (%s students, %s teachers, %s lessons), %s; rate limiter off.  \n",
		r.Size, count(r.Students), count(r.Teachers), count(r.Lessons), loaded)
	fmt.Fprintf(&b, "Routes: %s.  \n", r.Routes)
	fmt.Fprintf(&b, "%s\n\n", r.Footprint)

	b.WriteString("| Test | Endpoint | Rate (req/s) | p50 ms | p95 ms | p99 ms | Success | Result |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---|\n")
	row := func(test, path string, rate string, s step, result string) {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %.2f | %.2f | %.2f | %.2f%% | %s |\n",
			test, path, rate, s.P50(), s.P95(), s.P99(), 100*s.Metrics.Success, result)
	}

	for i, s := range r.AtLoad {
		e := r.AtLoadEndpoints[i]
		result := verdict(s.Metrics.Latencies.P95 <= targetP95, "p95 ≤ 5 ms")
		if s.TimedOut > 0 {
			result += fmt.Sprintf("; %d of %d timed out (10 s)", s.TimedOut, s.Metrics.Requests)
		}
		row(fmt.Sprintf("Seed load (%.0f req/s mix): %s", r.AtLoadRate, e.Name), e.Path, fmt.Sprintf("%.0f", s.Rate), s, result)
	}

	baseline := sustained(r.Capacity[len(r.Capacity)-1])
	withTotal := 0.0 // the built-in list with its count, when measured
	for i, e := range r.CapacityEndpoints {
		if e.Name == builtinWithTotal {
			withTotal = sustained(r.Capacity[i])
		}
	}
	for i, s := range r.Capacity {
		e := r.CapacityEndpoints[i]
		rate, result := capacityRate(s), "the baseline"
		switch {
		case i == len(r.Capacity)-1:
		case e.Name == builtinWithTotal:
			result = "reference for lists that count"
			if baseline > 0 {
				result = fmt.Sprintf("%.2f× baseline; reference for lists that count", sustained(s)/baseline)
			}
		case baseline == 0:
			result = "no baseline figure"
		default:
			ratio := sustained(s) / baseline
			result = fmt.Sprintf("%.2f× baseline (%s)", ratio, verdict(ratio >= targetRatio, "≥ 1×"))
			if e.CountsTotal && withTotal > 0 {
				result += fmt.Sprintf("; %.2f× the built-in list with its total", sustained(s)/withTotal)
			}
		}
		row("Capacity: "+e.Name, e.Path, rate, s, result)
	}

	row("Login, light load", r.LoginEndpoint.Path, fmt.Sprintf("%.0f", r.LoginLight.Rate), r.LoginLight, "bcrypt-bound, reported apart")
	row("Login capacity", r.LoginEndpoint.Path, capacityRate(r.LoginCapacity), r.LoginCapacity,
		fmt.Sprintf("highest rate with p95 ≤ %d ms", r.LoginCriteria.MaxP95.Milliseconds()))

	fmt.Fprintf(&b, "\nCapacity = highest offered rate (open loop, steps doubling then bisected) with p95 ≤ %d ms, ≥ 99%% success and the generator keeping up; its latencies are those of that step (\"< r\": not even r req/s held, with that step's latencies).\n",
		capacityMaxP95.Milliseconds())
	if r.Scheduling != nil {
		b.WriteString(r.Scheduling.markdown())
	}
	return b.String()
}

// capacityRate shows a sustained rate, or "< r" with r the lowest rate
// tried when none held (the row then shows that failed step).
func capacityRate(s step) string {
	if !s.Sustained {
		return fmt.Sprintf("< %.0f", s.Rate)
	}
	return fmt.Sprintf("%.0f", s.Rate)
}

func sustained(s step) float64 {
	if !s.Sustained {
		return 0
	}
	return s.Rate
}

func verdict(ok bool, target string) string {
	if ok {
		return "✓ " + target
	}
	return "✗ " + target
}

func count(n int) string {
	if n < 0 {
		return "?"
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// loadAvg reads the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// cpuModel reads the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
