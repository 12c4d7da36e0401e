package main

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"cedarheights/bench/internal/machine"
)

// report.go turns the samples and probes into per-minute tables and the
// verdicts.

// flatWithin is how far the last minute's mean RSS may sit above the baseline
// minute's and still count as flat. The first half of the run is warm-up:
// caches (SQLite's page cache on each new read connection, PocketBase's
// collection cache, Go's heap target) filled for five minutes in the first
// ten-minute runs and then held; a leak keeps growing in the second half.
const flatWithin = 0.10

type minuteRow struct {
	Requests, Errors, Conflicts, Locked int
	RSS, PeakRSS                        int64 // KiB: the mean of the minute's probes, and the highest
	rssSum, rssN                        int64
	Threads                             int
	CPU                                 float64 // % of one core
	Load1                               string
	Pending                             int
	Workers                             workerMinute
	P95                                 map[string]float64 // endpoint → ms
}

type result struct {
	Started               time.Time
	Duration              time.Duration
	Rate                  float64
	ActionRate            float64
	WriteShare            float64
	Size                  string
	LoadTime              time.Duration
	Users                 users
	LoadBefore, LoadAfter string
	Dropped               int
	Samples               []sample
	Probes                []probe
	After                 *afterReport
	LogLocked             int
	LogLockedLines        []string
	WebhookDeliveries     int
	WebhookErrors         []string
	Minutes               []minuteRow
	Endpoints             []string
	ErrorsByEndpoint      map[string][]string
	ConflictsByReason     map[string]int
	Totals                struct{ Requests, Errors, Conflicts, Locked int }
	BaselineMinute        int // 1-based
	FlatRatio, SlopeMB    float64
}

func (r *result) build() {
	n := int((r.Duration + time.Minute - 1) / time.Minute)
	r.Minutes = make([]minuteRow, n)
	lat := make([]map[string][]time.Duration, n)
	for i := range lat {
		lat[i] = map[string][]time.Duration{}
		r.Minutes[i].P95 = map[string]float64{}
		r.Minutes[i].Pending = -1
	}
	r.ErrorsByEndpoint, r.ConflictsByReason = map[string][]string{}, map[string]int{}
	seen := map[string]bool{}
	for _, s := range r.Samples {
		m := min(n-1, max(0, int(s.At.Sub(r.Started)/time.Minute)))
		row := &r.Minutes[m]
		row.Requests++
		lat[m][s.Endpoint] = append(lat[m][s.Endpoint], s.Took)
		if !seen[s.Endpoint] {
			seen[s.Endpoint] = true
			r.Endpoints = append(r.Endpoints, s.Endpoint)
		}
		switch s.Outcome {
		case failed:
			row.Errors++
			if len(r.ErrorsByEndpoint[s.Endpoint]) < 3 {
				r.ErrorsByEndpoint[s.Endpoint] = append(r.ErrorsByEndpoint[s.Endpoint], s.Detail)
			}
		case conflict:
			row.Conflicts++
			r.ConflictsByReason[s.Endpoint+": "+s.Detail]++
		}
		if s.Locked {
			row.Locked++
		}
	}
	sort.Strings(r.Endpoints)
	for i := range r.Minutes {
		for e, ds := range lat[i] {
			slices.Sort(ds)
			r.Minutes[i].P95[e] = ms(ds[min(len(ds)-1, int(0.95*float64(len(ds))))])
		}
		r.Totals.Requests += r.Minutes[i].Requests
		r.Totals.Errors += r.Minutes[i].Errors
		r.Totals.Conflicts += r.Minutes[i].Conflicts
		r.Totals.Locked += r.Minutes[i].Locked
	}

	// The probe closest to each minute's end stands for it; the peak is
	// the highest within it.
	var lastCPU int64 = -1
	var lastAt time.Time
	for _, p := range r.Probes {
		m := int(p.At.Sub(r.Started) / time.Minute)
		if p.At.Before(r.Started) {
			lastCPU, lastAt = p.CPUTicks, p.At
			continue
		}
		if m >= n {
			m = n - 1
		}
		row := &r.Minutes[m]
		row.Threads, row.Load1 = p.Threads, p.Load1
		if p.RSS > 0 {
			row.rssSum, row.rssN = row.rssSum+p.RSS, row.rssN+1
		}
		if p.Pending >= 0 {
			row.Pending = p.Pending
		}
		row.PeakRSS = max(row.PeakRSS, p.RSS)
		if lastCPU >= 0 && p.At.After(lastAt) {
			// CPU over the minute: accumulate ticks and time, divide at the end.
			row.CPU += float64(p.CPUTicks-lastCPU) / clockTicks
		}
		lastCPU, lastAt = p.CPUTicks, p.At
	}
	for i := range r.Minutes {
		span := time.Minute
		if i == n-1 && r.Duration%time.Minute != 0 {
			span = r.Duration % time.Minute
		}
		r.Minutes[i].CPU = 100 * r.Minutes[i].CPU / span.Seconds()
		if r.Minutes[i].rssN > 0 {
			r.Minutes[i].RSS = r.Minutes[i].rssSum / r.Minutes[i].rssN
		}
		if r.After != nil && i < len(r.After.Minutes) {
			r.Minutes[i].Workers = r.After.Minutes[i]
		}
	}

	// Memory: the last minute against the first minute of the run's second
	// half (minute 6 of 10; minute 1 in a run of one or two minutes), and a
	// least-squares slope over the minutes from that baseline on.
	r.BaselineMinute = n/2 + 1
	if n < 3 {
		r.BaselineMinute = 1
	}
	base := r.Minutes[r.BaselineMinute-1].RSS
	if base > 0 {
		r.FlatRatio = float64(r.Minutes[n-1].RSS) / float64(base)
	}
	var xs, ys []float64
	for i := r.BaselineMinute - 1; i < n; i++ {
		xs, ys = append(xs, float64(i+1)), append(ys, float64(r.Minutes[i].RSS)/1024)
	}
	r.SlopeMB = slope(xs, ys)
}

func slope(xs, ys []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(kib int64) string {
	if kib <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f", float64(kib)/1024)
}

func check(ok bool, what string) string {
	if ok {
		return "✓ " + what
	}
	return "✗ " + what
}

func (r *result) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Soak, %s, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Duration)
	fmt.Fprintf(&b, "Machine: %d × %s, %s %s/%s; load average before %s, after %s (the machine is shared: other jobs ran beside the soak). ",
		runtime.NumCPU(), machine.CPUModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, r.LoadBefore, r.LoadAfter)
	loaded := fmt.Sprintf("loaded in %s", r.LoadTime.Round(time.Second))
	if r.LoadTime == 0 {
		loaded = "a data dir loaded before the run"
	}
	fmt.Fprintf(&b, "The built academy binary serving `demo --size %s` (%s), rate limiter off, billing online against the Stripe stand-in (in the generator's process), "+
		"mail to mailpit over SMTP, the generator on the same two cores. ", r.Size, loaded)
	fmt.Fprintf(&b, "%d simulated users, each with its own token: %d parents, %d teachers, 1 admin and %d anonymous visitors; a superuser token stands for the office's automation (workflow runs). ",
		r.Users.Parents+r.Users.Teachers+1+r.Users.Anonymous, r.Users.Parents, r.Users.Teachers, r.Users.Anonymous)
	fmt.Fprintf(&b, "Open loop: %.1f actions/s (a booking is a slot lookup and the booking) for about %.0f requests/s, %.0f %% of them writes (with their slot lookups); "+
		"sent: %.1f requests/s, the Stripe stand-in's %d webhook deliveries included.\n\n",
		r.ActionRate, r.Rate, 100*r.WriteShare, float64(r.Totals.Requests)/r.Duration.Seconds(), r.WebhookDeliveries)

	lockedTotal := r.Totals.Locked + r.LogLocked
	if r.After != nil {
		lockedTotal += r.After.LogLocked
	}
	flat := r.FlatRatio > 0 && r.FlatRatio <= 1+flatWithin
	fmt.Fprintf(&b, "| Check | Result |\n|---|---|\n")
	fmt.Fprintf(&b, "| 0 errors | %s |\n", check(r.Totals.Errors == 0 && len(r.WebhookErrors) == 0 && r.Dropped == 0,
		fmt.Sprintf("%d errors in %d requests; %d webhook deliveries refused; %d actions dropped by the generator", r.Totals.Errors, r.Totals.Requests, len(r.WebhookErrors), r.Dropped)))
	logLocked := -1
	if r.After != nil {
		logLocked = r.After.LogLocked
	}
	fmt.Fprintf(&b, "| 0 \"database is locked\" | %s |\n", check(lockedTotal == 0,
		fmt.Sprintf("%d in answers, %d in the server's output, %d in PocketBase's log table", r.Totals.Locked, r.LogLocked, logLocked)))
	fmt.Fprintf(&b, "| Memory flat | %s |\n", check(flat, fmt.Sprintf("mean RSS %s MiB in minute %d, %s MiB in the last (×%.2f; flat: ≤ ×%.2f); slope %+.1f MiB/min from minute %[2]d on",
		mib(r.Minutes[r.BaselineMinute-1].RSS), r.BaselineMinute, mib(r.Minutes[len(r.Minutes)-1].RSS), r.FlatRatio, 1+flatWithin, r.SlopeMB)))
	fmt.Fprintf(&b, "| Conflicts (409, expected in races; not errors) | %d |\n\n", r.Totals.Conflicts)

	b.WriteString("Per minute (RSS: the mean of the server's VmRSS sampled every 5 s, and the highest; threads and outbox pending at the minute's end; CPU is the server's, % of one core; workflow steps finished and mails queued and handed to SMTP, from the database afterwards):\n\n")
	b.WriteString("| Minute | Requests | req/s | Errors | 409s | Locked | RSS MiB | Peak MiB | Threads | Server CPU | Load 1m | Workflow steps | Mails queued | Mails sent | Outbox pending |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, m := range r.Minutes {
		span := time.Minute
		if i == len(r.Minutes)-1 && r.Duration%time.Minute != 0 {
			span = r.Duration % time.Minute
		}
		pending := "?"
		if m.Pending >= 0 {
			pending = fmt.Sprint(m.Pending)
		}
		fmt.Fprintf(&b, "| %d | %d | %.0f | %d | %d | %d | %s | %s | %d | %.0f%% | %s | %d | %d | %d | %s |\n",
			i+1, m.Requests, float64(m.Requests)/span.Seconds(), m.Errors, m.Conflicts, m.Locked, mib(m.RSS), mib(m.PeakRSS), m.Threads, m.CPU, m.Load1,
			m.Workers.Steps, m.Workers.Queued, m.Workers.Sent, pending)
	}

	b.WriteString("\np95 per endpoint and minute (ms):\n\n| Endpoint | Requests |")
	for i := range r.Minutes {
		fmt.Fprintf(&b, " %d |", i+1)
	}
	b.WriteString("\n|---|---:|")
	for range r.Minutes {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	counts := map[string]int{}
	for _, s := range r.Samples {
		counts[s.Endpoint]++
	}
	for _, e := range r.Endpoints {
		fmt.Fprintf(&b, "| `%s` | %d |", e, counts[e])
		for _, m := range r.Minutes {
			if v, ok := m.P95[e]; ok {
				fmt.Fprintf(&b, " %.1f |", v)
			} else {
				b.WriteString(" — |")
			}
		}
		b.WriteString("\n")
	}

	if len(r.ConflictsByReason) > 0 {
		b.WriteString("\nConflicts by request and reason:\n\n")
		keys := make([]string, 0, len(r.ConflictsByReason))
		for k := range r.ConflictsByReason {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "- `%s`: %d\n", k, r.ConflictsByReason[k])
		}
	}
	if len(r.ErrorsByEndpoint) > 0 {
		b.WriteString("\nErrors (first three per endpoint):\n\n")
		for _, e := range r.Endpoints {
			for _, d := range r.ErrorsByEndpoint[e] {
				fmt.Fprintf(&b, "- `%s`: %s\n", e, d)
			}
		}
	}
	for _, l := range r.LogLockedLines {
		fmt.Fprintf(&b, "- server output: %s\n", l)
	}
	if a := r.After; a != nil {
		b.WriteString("\nWorkflow runs started during the soak, by workflow and status:")
		for _, rc := range a.Runs {
			fmt.Fprintf(&b, " %s %s %d;", rc.Name, rc.Status, rc.N)
		}
		fmt.Fprintf(&b, " outbox messages still pending at the end: %d.\n", a.PendingMail)
		for _, e := range a.RunErrors {
			fmt.Fprintf(&b, "- failed runs: %d × %s\n", e.N, e.Message)
		}
		for _, e := range a.LogErrors {
			fmt.Fprintf(&b, "- logged by the server (PocketBase's log, level ERROR, not a request's line): %d × %s\n", e.N, e.Message)
		}
	}
	return b.String()
}
