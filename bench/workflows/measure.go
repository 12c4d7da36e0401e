package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"cedarheights/workflows"
)

// The benchmark's workflows.

type fiveState struct {
	A, B, C, D, E int
}

func setField(f func(*fiveState)) func(*workflows.Step[fiveState]) error {
	return func(s *workflows.Step[fiveState]) error {
		f(s.State)
		return nil
	}
}

var fiveTasks = []func(*workflows.Step[fiveState]) error{
	setField(func(s *fiveState) { s.A = 1 }),
	setField(func(s *fiveState) { s.B = s.A + 1 }),
	setField(func(s *fiveState) { s.C = s.B + 1 }),
	setField(func(s *fiveState) { s.D = s.C + 1 }),
	setField(func(s *fiveState) { s.E = s.D + 1 }),
}

// benchFive: five tasks in a row.
var benchFive = workflows.Define("bench_five", 1, func(int) fiveState { return fiveState{} },
	workflows.Task("a", fiveTasks[0]).Then("b"),
	workflows.Task("b", fiveTasks[1]).Then("c"),
	workflows.Task("c", fiveTasks[2]).Then("d"),
	workflows.Task("d", fiveTasks[3]).Then("e"),
	workflows.Task("e", fiveTasks[4]),
)

// benchFirst notes when its first node starts.
func benchFirst(env *inProcess) *workflows.Workflow[firstInput, fiveState] {
	return workflows.Define("bench_first", 1, func(firstInput) fiveState { return fiveState{} },
		workflows.Task("first", func(s *workflows.Step[fiveState]) error {
			env.started.Store(s.RunID(), time.Now())
			return nil
		}))
}

type firstInput struct {
	N int `json:"n"`
}

type waitState struct {
	Key string `json:"key"`
}

// benchWait waits for an event, then notes when the next node starts.
func benchWait(env *inProcess) *workflows.Workflow[string, waitState] {
	return workflows.Define("bench_wait", 1, func(key string) waitState { return waitState{Key: key} },
		workflows.Task("prepare", func(*workflows.Step[waitState]) error { return nil }).Then("webhook"),
		workflows.Wait("webhook", func(s *waitState) string { return s.Key }, time.Hour).Then("after").OnTimeout("after"),
		workflows.Task("after", func(s *workflows.Step[waitState]) error {
			env.resumed.Store(s.RunID(), time.Now())
			return nil
		}))
}

func measureCheckpoints(env *inProcess, cfg config) ([]row, error) {
	env.recordCheckpoints(true)
	for i := range cfg.sequential {
		run, err := workflows.Start(env.app, benchFive, i, workflows.StartOptions{})
		env.logs.see(err)
		if err != nil {
			return nil, err
		}
		if err := waitAll(env.app, []string{run.ID}, time.Minute); err != nil {
			return nil, err
		}
	}
	ds := env.recordCheckpoints(false)
	p50, p99 := pct(ds, 0.5), pct(ds, 0.99)
	return []row{{
		measure: "Per-checkpoint overhead, one run at a time",
		value:   fmt.Sprintf("p50 %.3f ms, p99 %.2f ms", p50, p99),
		target:  check(p50 <= 0.3 && p99 <= 5, "≤ 0.3 ms / ≤ 5 ms"),
		note: fmt.Sprintf("%d checkpoints for %d runs: one transaction each (run row, step rows, the nodes' writes); "+
			"quick steps in a row share one", len(ds), cfg.sequential),
	}}, nil
}

func measureThroughput(env *inProcess, cfg config) ([]row, error) {
	env.recordCheckpoints(true)
	stopProfile := phase("steps")
	defer stopProfile()
	began, cpu, wrote := time.Now(), cpuTime(), writtenBytes()
	ids, err := startFive(env, cfg.throughput)
	if err != nil {
		return nil, err
	}
	// Timed to the last run's end as announced; the runs are read (and
	// checked) only afterwards: reading each one while the engine runs
	// (4,000 SELECTs and decodes) took about a tenth of the CPU the engine
	// had, which the creates baseline below does not pay.
	last, err := waitEnded(&env.ended, ids, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	elapsed := last.Sub(began)
	env.stepCost = cost{cpu: cpuTime() - cpu, wrote: writtenBytes() - wrote, n: cfg.throughput * 5}
	stopProfile()
	ds := env.recordCheckpoints(false)
	env.commitsPerRun = float64(len(ds)) / float64(cfg.throughput)
	if err := waitAll(env.app, ids, time.Minute); err != nil {
		return nil, err
	}
	perSec := float64(cfg.throughput) / elapsed.Seconds()
	env.fiveNodePerSec = perSec

	// The seed's model: the same node functions, in memory, no persistence.
	baseRuns, baseFor := 0, time.Now()
	ctx := context.Background()
	for time.Since(baseFor) < time.Second {
		for range 1000 {
			st := fiveState{}
			step := &workflows.Step[fiveState]{Context: ctx, State: &st}
			for _, task := range fiveTasks {
				if err := task(step); err != nil {
					return nil, err
				}
			}
			baseRuns++
		}
	}
	basePerSec := float64(baseRuns) / time.Since(baseFor).Seconds()
	return []row{
		{
			measure: "Five-node runs per second",
			value:   fmt.Sprintf("%.0f runs/s", perSec),
			target:  check(perSec >= 700, "≥ 700"),
			note:    fmt.Sprintf("%d runs started from 4 goroutines, first start to last completion %.1f s", cfg.throughput, elapsed.Seconds()),
		},
		{
			measure: "Per-checkpoint overhead under that load",
			value:   fmt.Sprintf("p50 %.3f ms, p99 %.2f ms", pct(ds, 0.5), pct(ds, 0.99)),
			target:  "",
			note:    "includes waiting for SQLite's single writer",
		},
		{
			measure: "Same DAG in memory, no persistence (the seed's model)",
			value:   fmt.Sprintf("%.0f runs/s", basePerSec),
			target:  "baseline",
			note:    fmt.Sprintf("durable runs cost %.0f× the in-memory ones; what they buy: every node survives a crash", basePerSec/perSec),
		},
	}, nil
}

// startFive starts n five-node runs from 4 goroutines and returns their ids.
func startFive(env *inProcess, n int) ([]string, error) {
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				run, err := workflows.Start(env.app, benchFive, i, workflows.StartOptions{})
				env.logs.see(err)
				if err != nil {
					errs <- err
					return
				}
				ids[i] = run.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	return ids, <-errs
}

func measurePostToFirstNode(env *inProcess, cfg config) ([]row, error) {
	var ds []time.Duration
	client := &http.Client{Timeout: 30 * time.Second}
	for range cfg.latencySample {
		body, _ := json.Marshal(map[string]any{"workflow": "bench_first", "input": map[string]int{"n": 1}})
		sent := time.Now()
		var out struct {
			ID string `json:"id"`
		}
		if err := post(client, env.srv.URL+"/api/v1/workflows/runs?wait=0", env.token, body, &out); err != nil {
			return nil, err
		}
		started, err := waitNoted(&env.started, out.ID)
		if err != nil {
			return nil, err
		}
		ds = append(ds, started.Sub(sent))
	}
	p50 := pct(ds, 0.5)
	return []row{{
		measure: "POST /api/v1/workflows/runs → first node started",
		value:   fmt.Sprintf("p50 %.2f ms, p95 %.2f ms", p50, pct(ds, 0.95)),
		target:  check(p50 <= 5, "p50 ≤ 5 ms"),
		note:    fmt.Sprintf("%d requests one after another; the run is committed before the 202", len(ds)),
	}}, nil
}

func measureEventToResume(env *inProcess, cfg config) ([]row, error) {
	ids := make([]string, cfg.latencySample)
	for i := range ids {
		run, err := workflows.Start(env.app, env.waitFlow, "bench:"+strconv.Itoa(i), workflows.StartOptions{})
		if err != nil {
			return nil, err
		}
		ids[i] = run.ID
	}
	deadline := time.Now().Add(time.Minute)
	for _, id := range ids {
		for {
			r, err := workflows.Get(env.app, id)
			if err != nil {
				return nil, err
			}
			if r.Status == workflows.StatusWaiting {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("run %s never parked to wait (%s)", id, r.Status)
			}
			time.Sleep(time.Millisecond)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var ds []time.Duration
	for i, id := range ids {
		body, _ := json.Marshal(map[string]any{"key": "bench:" + strconv.Itoa(i), "event_id": "evt_bench_" + strconv.Itoa(i), "payload": map[string]int{"amount": 100}})
		sent := time.Now()
		if err := post(client, env.srv.URL+"/api/v1/workflows/events", env.token, body, nil); err != nil {
			return nil, err
		}
		resumed, err := waitNoted(&env.resumed, id)
		if err != nil {
			return nil, err
		}
		ds = append(ds, resumed.Sub(sent))
	}
	p50 := pct(ds, 0.5)
	return []row{{
		measure: "Webhook-style event (POST /api/v1/workflows/events) → waiting run resumed",
		value:   fmt.Sprintf("p50 %.2f ms, p95 %.2f ms", p50, pct(ds, 0.95)),
		target:  check(p50 <= 50, "p50 ≤ 50 ms"),
		note:    fmt.Sprintf("%d parked runs (lease released), each woken by its event; timed to the next node's start", len(ds)),
	}}, nil
}

func measureConcurrent16(env *inProcess, cfg config) ([]row, error) {
	var mu sync.Mutex
	var ds []time.Duration
	for range cfg.rounds {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				began := time.Now()
				run, err := workflows.Start(env.app, benchFive, 0, workflows.StartOptions{})
				env.logs.see(err)
				if err == nil {
					err = waitAll(env.app, []string{run.ID}, time.Minute)
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				ds = append(ds, time.Since(began))
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	return []row{{
		measure: "16 concurrent five-node runs, start → completed",
		value:   fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", pct(ds, 0.5), pct(ds, 0.99)),
		target:  "",
		note:    fmt.Sprintf("%d rounds of 16 runs started at once on %d workers", cfg.rounds, cfg.workers),
	}}, nil
}

// waitEnded waits until every run in ids has ended (as announced) and
// returns when the last one did.
func waitEnded(m *sync.Map, ids []string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var last time.Time
	for i := 0; i < len(ids); {
		v, ok := m.Load(ids[i])
		if !ok {
			if time.Now().After(deadline) {
				return last, fmt.Errorf("run %s did not end within %s", ids[i], timeout)
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if t := v.(time.Time); t.After(last) {
			last = t
		}
		i++
	}
	return last, nil
}

func waitNoted(m *sync.Map, id string) (time.Time, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if v, ok := m.Load(id); ok {
			return v.(time.Time), nil
		}
		time.Sleep(20 * time.Microsecond)
	}
	return time.Time{}, fmt.Errorf("run %s: node never started", id)
}

func post(client *http.Client, url, token string, body []byte, out any) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", url, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
