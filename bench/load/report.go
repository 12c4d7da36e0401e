package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"cedarheights/bench/internal/machine"
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

	// Closed loop, by endpoint name: every endpoint with a capacity search.
	Closed      map[string]closedFigure
	ClosedPlan  closedPlan
	ClosedLoad  string   // load average after the closed-loop phase
	ClosedOrder []string // endpoint names in the order measured
	Cached      bool     // -reuse: a data dir loaded by an earlier run
	Footprint   footprint
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
		runtime.NumCPU(), machine.CPUModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
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

	b.WriteString(tableHead(r.ClosedPlan))
	row := func(test, path string, rate string, s step, result, name string) {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %.2f | %.2f | %.2f | %.2f%% | %s | %s |\n",
			test, path, rate, s.P50(), s.P95(), s.P99(), 100*s.Metrics.Success, result, r.closedCells(name))
	}

	for i, s := range r.AtLoad {
		e := r.AtLoadEndpoints[i]
		result := verdict(s.Metrics.Latencies.P95 <= targetP95, "p95 ≤ 5 ms")
		if s.TimedOut > 0 {
			result += fmt.Sprintf("; %d of %d timed out (10 s)", s.TimedOut, s.Metrics.Requests)
		}
		row(fmt.Sprintf("Seed load (%.0f req/s mix): %s", r.AtLoadRate, e.Name), e.Path, fmt.Sprintf("%.0f", s.Rate), s, result, "")
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
		row("Capacity: "+e.Name, e.Path, rate, s, result, e.Name)
	}

	row("Login, light load", r.LoginEndpoint.Path, fmt.Sprintf("%.0f", r.LoginLight.Rate), r.LoginLight, "bcrypt-bound, reported apart", "")
	row("Login capacity", r.LoginEndpoint.Path, capacityRate(r.LoginCapacity), r.LoginCapacity,
		fmt.Sprintf("highest rate with p95 ≤ %d ms", r.LoginCriteria.MaxP95.Milliseconds()), r.LoginEndpoint.Name)

	fmt.Fprintf(&b, "\nCapacity = highest offered rate (open loop, steps doubling then bisected) with p95 ≤ %d ms, ≥ 99%% success and the generator keeping up; its latencies are those of that step (\"< r\": not even r req/s held, with that step's latencies).\n",
		capacityMaxP95.Milliseconds())
	b.WriteString(r.closedNote())
	if r.Scheduling != nil {
		b.WriteString(r.Scheduling.markdown(r))
	}
	b.WriteString(r.closedRuns())
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

// tableHead is the header of the load and scheduling tables: the open-loop
// columns, then the closed-loop ones.
func tableHead(plan closedPlan) string {
	return fmt.Sprintf("| Test | Endpoint | Rate (req/s) | p50 ms | p95 ms | p99 ms | Success | Result | Closed loop, %d clients (req/s) | CL p50 / p95 / p99 ms | CL × baseline |\n", plan.Clients) +
		"|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|\n"
}

// closedCells are the closed-loop cells of the endpoint named name (empty
// name: a row without a capacity search).
func (r *report) closedCells(name string) string {
	f, ok := r.Closed[name]
	if name == "" || !ok || !f.measured() {
		return "— | — | —"
	}
	m := f.Median
	cells := fmt.Sprintf("%.0f | %.2f / %.2f / %.2f | ", m.Throughput, ms(m.P50), ms(m.P95), ms(m.P99))
	if m.Failed > 0 {
		cells = fmt.Sprintf("%.0f (%.2f%% ok) | %.2f / %.2f / %.2f | ", m.Throughput, 100*m.Success(), ms(m.P50), ms(m.P95), ms(m.P99))
	}
	base := r.Closed[r.baselineName()].Median.Throughput
	switch {
	case name == r.baselineName():
		return cells + "the baseline"
	case base == 0:
		return cells + "no baseline figure"
	case name == builtinWithTotal || name == r.LoginEndpoint.Name:
		return cells + fmt.Sprintf("%.2f×", m.Throughput/base)
	}
	ratio := m.Throughput / base
	return cells + fmt.Sprintf("%.2f× (%s)", ratio, verdict(ratio >= targetRatio, "≥ 1×"))
}

// baselineName is the built-in list's endpoint name (the last capacity row).
func (r *report) baselineName() string {
	if len(r.CapacityEndpoints) == 0 {
		return ""
	}
	return r.CapacityEndpoints[len(r.CapacityEndpoints)-1].Name
}

func (r *report) closedNote() string {
	if len(r.Closed) == 0 {
		return ""
	}
	p := r.ClosedPlan
	note := fmt.Sprintf("Closed loop = %d clients, each sending its next request as soon as the last is answered, for %s (after %s not counted); %d runs per endpoint in rounds (every endpoint once per round, the baseline first), the run of median throughput shown with its latencies; CL × baseline = its median throughput over the baseline's.",
		p.Clients, p.For, p.WarmUp, p.Runs)
	if r.ClosedLoad != "" {
		note += fmt.Sprintf(" Load average after the closed-loop phase: %s.", r.ClosedLoad)
	}
	return note + "\n"
}

// closedRuns lists every closed-loop run, so the median can be checked
// against its spread.
func (r *report) closedRuns() string {
	if len(r.ClosedOrder) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n#### Closed-loop runs (req/s)\n\n| Endpoint | Runs | Median | × baseline, per run |\n|---|---|---:|---|\n")
	base := r.Closed[r.baselineName()]
	for _, name := range r.ClosedOrder {
		f := r.Closed[name]
		var runs, ratios []string
		for i, run := range f.Runs {
			runs = append(runs, fmt.Sprintf("%.0f", run.Throughput))
			if i < len(base.Runs) && base.Runs[i].Throughput > 0 {
				ratios = append(ratios, fmt.Sprintf("%.2f", run.Throughput/base.Runs[i].Throughput))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s |\n", name, strings.Join(runs, ", "), f.Median.Throughput, strings.Join(ratios, ", "))
	}
	return b.String()
}
