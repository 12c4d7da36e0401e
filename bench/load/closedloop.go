package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// closedloop.go: saturation measured closed loop, beside every open-loop
// capacity search (the project's standard). C clients each send their next
// request as soon as the previous one is answered, so the server is kept
// exactly C requests busy: what it completes per second is its throughput
// at saturation, whatever the queue an open-loop step would build. Open
// loop asks "how fast may users arrive"; closed loop "how fast can it
// work": on shared cores the second moves less with a burst of someone
// else's load.

// closedPlan tunes the closed-loop phase.
type closedPlan struct {
	Clients int           // concurrent clients (16 saturate two cores)
	For     time.Duration // measured length of one run
	WarmUp  time.Duration // before it, answers not counted (connections opened, caches warm)
	Runs    int           // runs per endpoint; the median is reported
	Pause   time.Duration // between runs
}

// closedRun is one closed-loop run.
type closedRun struct {
	Throughput    float64 // successful answers per second
	P50, P95, P99 time.Duration
	Requests      int // answered in the measured window
	Failed        int // of those, errors (no answer, 4xx, 5xx)
}

// closedFigure is an endpoint's runs and their median.
type closedFigure struct {
	Runs   []closedRun
	Median closedRun // the run with the median throughput (its latencies with it)
}

func (f closedFigure) measured() bool { return len(f.Runs) > 0 }

// Success is the median run's share of successful answers.
func (r closedRun) Success() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Requests-r.Failed) / float64(r.Requests)
}

// median picks the run of median throughput (the lower middle of an even
// count), so its latencies belong to the same run as its throughput.
func median(runs []closedRun) closedRun {
	if len(runs) == 0 {
		return closedRun{}
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b closedRun) int {
		switch {
		case a.Throughput < b.Throughput:
			return -1
		case a.Throughput > b.Throughput:
			return 1
		}
		return 0
	})
	return sorted[(len(sorted)-1)/2]
}

// closedLoopAll measures every endpoint plan.Runs times, in rounds (each
// endpoint once per round), so that a burst of other work on the machine
// falls on one run of several endpoints rather than on every run of one.
func closedLoopAll(endpoints []endpoint, plan closedPlan) map[string]closedFigure {
	out := make(map[string]closedFigure, len(endpoints))
	for round := range plan.Runs {
		logf("closed loop: round %d of %d, %d clients, %s per endpoint", round+1, plan.Runs, plan.Clients, plan.For)
		for _, e := range endpoints {
			r := closedLoop(e, plan)
			logClosed(e, r)
			f := out[e.Name]
			f.Runs = append(f.Runs, r)
			f.Median = median(f.Runs)
			out[e.Name] = f
			time.Sleep(plan.Pause)
		}
	}
	return out
}

// closedLoop runs plan.Clients clients against e for plan.WarmUp +
// plan.For. Each client takes the next of e's targets in turn (they rotate
// over all clients, so tokens and bodies vary as in the open-loop runs).
func closedLoop(e endpoint, plan closedPlan) closedRun {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: plan.Clients,
		MaxConnsPerHost:     plan.Clients,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	began := time.Now()
	from, until := began.Add(plan.WarmUp), began.Add(plan.WarmUp+plan.For)
	var next atomic.Uint64
	type tally struct {
		latencies []time.Duration
		failed    int
	}
	tallies := make([]tally, plan.Clients)
	var wg sync.WaitGroup
	for c := range plan.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[c]
			for {
				sent := time.Now()
				if !sent.Before(until) {
					return
				}
				target := e.Targets[next.Add(1)%uint64(len(e.Targets))]
				ok := send(client, target.Method, target.URL, target.Body, target.Header)
				done := time.Now()
				// Answers that arrive inside the window count, whenever
				// sent: in a steady state that is the server's throughput
				// (a rule on the send time too would drop every slow
				// request that straddles an edge, e.g. all logins).
				if done.Before(from) || done.After(until) {
					continue
				}
				t.latencies = append(t.latencies, done.Sub(sent))
				if !ok {
					t.failed++
				}
			}
		}()
	}
	wg.Wait()

	var all []time.Duration
	r := closedRun{}
	for _, t := range tallies {
		all = append(all, t.latencies...)
		r.Failed += t.failed
	}
	r.Requests = len(all)
	r.Throughput = float64(r.Requests-r.Failed) / plan.For.Seconds()
	slices.Sort(all)
	at := func(q float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(q*float64(len(all))))]
	}
	r.P50, r.P95, r.P99 = at(0.50), at(0.95), at(0.99)
	return r
}

// send makes one request and reads the whole answer; ok is a 2xx or 3xx.
func send(client *http.Client, method, url string, body []byte, header http.Header) bool {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	if header != nil {
		req.Header = header // read only: the transport does not change it
	}
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return err == nil && res.StatusCode < 400
}

func logClosed(e endpoint, r closedRun) {
	logf("  %-30s closed %7.0f req/s  p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms  answers %d  errors %d",
		e.Name, r.Throughput, ms(r.P50), ms(r.P95), ms(r.P99), r.Requests, r.Failed)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
