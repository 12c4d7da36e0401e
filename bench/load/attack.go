package main

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// endpoint is one measured request kind; its targets rotate (e.g. one per
// parent token) so that caches of a single user do not flatter it.
type endpoint struct {
	Name    string
	Path    string // shown in the table
	Targets []vegeta.Target
	// CountsTotal marks a list answered with its total count, compared
	// also with the built-in list that counts.
	CountsTotal bool
}

// step is the outcome of one fixed-rate attack.
type step struct {
	Rate    float64 // offered, req/s
	Metrics vegeta.Metrics
	// Refused counts answers that are errors (4xx, 5xx, connection
	// refused or reset) rather than slow; TimedOut the requests that got no
	// answer in time.
	Refused, TimedOut uint64
	// Sustained is set by capacity on the step it reports; a capacity
	// search that found no sustained rate reports its lowest failed step.
	Sustained bool
}

func (s step) p(q time.Duration) float64 { return float64(q) / float64(time.Millisecond) }
func (s step) P50() float64              { return s.p(s.Metrics.Latencies.P50) }
func (s step) P95() float64              { return s.p(s.Metrics.Latencies.P95) }
func (s step) P99() float64              { return s.p(s.Metrics.Latencies.P99) }

// attack runs one open-loop attack: requests leave at rate whatever the
// server's latency, as a crowd of users would send them.
func attack(e endpoint, rate float64, d time.Duration) step {
	atk := vegeta.NewAttacker(
		vegeta.Timeout(10*time.Second),
		vegeta.KeepAlive(true),
		vegeta.Workers(8),
		vegeta.MaxWorkers(512), // enough for an overloaded step; not a fork bomb
		vegeta.MaxBody(1<<20),
	)
	s := step{Rate: rate}
	pace := vegeta.ConstantPacer{Freq: max(1, int(rate+0.5)), Per: time.Second}
	for res := range atk.Attack(vegeta.NewStaticTargeter(e.Targets...), pace, d, e.Name) {
		s.Metrics.Add(res)
		switch {
		case res.Code == 0 && strings.Contains(res.Error, "Timeout"):
			s.TimedOut++
		case res.Code == 0 || res.Code >= 400:
			s.Refused++
		}
	}
	s.Metrics.Close()
	return s
}

// attackMix runs several endpoints at once, each at its own rate, and
// measures each apart. The attackers start staggered by one interval of the
// combined rate, so the server sees one even stream (200 req/s = a request
// every 5 ms, rotating over the endpoints) rather than every endpoint
// firing in the same instant, a burst no crowd of independent users makes.
func attackMix(endpoints []endpoint, rates []float64, d time.Duration) []step {
	var total float64
	for _, r := range rates {
		total += r
	}
	out := make([]step, len(endpoints))
	var wg sync.WaitGroup
	for i := range endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(float64(i) / total * float64(time.Second)))
			out[i] = attack(endpoints[i], rates[i], d)
		}()
	}
	wg.Wait()
	return out
}

// criteria decide whether a step was sustained.
type criteria struct {
	MaxP95     time.Duration
	MinSuccess float64
}

func (c criteria) holds(s step) bool {
	m := s.Metrics
	// The generator must really have sent at the offered rate: on two
	// shared cores a starved generator would otherwise hide an overload.
	return m.Success >= c.MinSuccess && m.Latencies.P95 <= c.MaxP95 && m.Rate >= 0.95*s.Rate
}

// searchPlan tunes the capacity search.
type searchPlan struct {
	Start, Max float64       // req/s
	Step       time.Duration // length of one attack
	Pause      time.Duration // at least this quiet time between steps
	Precision  float64       // stop bisecting when high/low is within 1+Precision
}

// capacity finds the highest rate e sustains under c: doubling from Start
// until a step fails (halving when Start itself fails), then bisecting
// between the last good and first bad rates. It returns the best step, or
// the lowest failed one (Sustained false) when even 1 req/s failed.
func capacity(e endpoint, c criteria, plan searchPlan) step {
	var best, lowestFailed step
	bad := 0.0
	for rate := plan.Start; rate <= plan.Max; rate *= 2 {
		s := attack(e, rate, plan.Step)
		logStep(e, s, c.holds(s))
		settle(plan.Pause)
		if !c.holds(s) {
			bad, lowestFailed = rate, s
			break
		}
		best = s
	}
	// Even the start rate was too much: halve down to a figure.
	for rate := math.Floor(plan.Start / 2); best.Rate == 0 && rate >= 1; rate = math.Floor(rate / 2) {
		s := attack(e, rate, plan.Step)
		logStep(e, s, c.holds(s))
		settle(plan.Pause)
		if c.holds(s) {
			best = s
		} else {
			bad, lowestFailed = rate, s
		}
	}
	if best.Rate == 0 {
		return lowestFailed
	}
	best.Sustained = true
	if bad == 0 {
		return best
	}
	low, high := best.Rate, bad
	for high/low > 1+plan.Precision {
		mid := float64(int((low + high) / 2))
		s := attack(e, mid, plan.Step)
		logStep(e, s, c.holds(s))
		settle(plan.Pause)
		if c.holds(s) {
			best, low = s, mid
			best.Sustained = true
		} else {
			high = mid
		}
	}
	return best
}

// settle waits at least pause, then until the server answers its health
// check quickly again: an overloaded step leaves a queue behind, and the
// next step must not pay for it.
var settle = func(pause time.Duration) { time.Sleep(pause) }

func logStep(e endpoint, s step, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "over"
	}
	fmt.Fprintf(os.Stderr, "  %-24s %6.0f req/s  p50 %8.2f ms  p95 %8.2f ms  success %6.2f%%  sent %6.0f/s  timeouts %d  errors %d  %s\n",
		e.Name, s.Rate, s.P50(), s.P95(), 100*s.Metrics.Success, s.Metrics.Rate, s.TimedOut, s.Refused, verdict)
}
