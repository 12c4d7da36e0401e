package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// creates.go is issue 14's baseline for the engine: PocketBase's own
// record creates per second at the engine's concurrency, in the same app
// and run. A workflow step is one node and its checkpoint (a step row, the
// run's row; the benchmark's quick steps without writes share one
// transaction per run), so steps per second ÷ creates per second says
// what the engine adds to a plain write. Both are timed on the same app
// after the same warm-up (warmUp): the steps from the first Start to the
// last run's end as announced, from 4 goroutines starting runs and the
// engine's workers running them; the creates from 4 goroutines (as many
// as the workers) until the last Save returns.

// benchNotes is a plain collection of one text field, without the
// academy's hooks (no audit, no rules): a bare PocketBase create.
const benchNotes = "bench_notes"

func measureCreates(env *inProcess, cfg config) ([]row, error) {
	c, err := notes(env)
	if err != nil {
		return nil, err
	}
	total := cfg.throughput * 5 // as many writes as the throughput run's steps
	stopProfile := phase("creates")
	defer stopProfile()
	began, cpu, wrote := time.Now(), cpuTime(), writtenBytes()
	if err := saveNotes(env, c, total, cfg.workers); err != nil {
		return nil, err
	}
	perSec := float64(total) / time.Since(began).Seconds()
	env.createsPerSec = perSec
	env.createCost = cost{cpu: cpuTime() - cpu, wrote: writtenBytes() - wrote, n: total}
	stopProfile()
	steps := env.fiveNodePerSec * 5
	ratio := steps / perSec
	return []row{
		{
			measure: "Baseline: PocketBase record creates per second",
			value:   fmt.Sprintf("%.0f creates/s", perSec),
			target:  "baseline",
			note:    fmt.Sprintf("%d `app.Save` of a one-field record from %d goroutines (the engine's workers), same app and run", total, cfg.workers),
		},
		{
			measure: "Workflow steps per second ÷ record creates per second",
			value:   fmt.Sprintf("%.2f× (%.0f steps/s)", ratio, steps),
			target:  check(ratio >= 1, "≥ 1×"),
			note: fmt.Sprintf("a step is one node and its checkpoint (five per run, %.2f transactions per run: quick steps "+
				"in a row commit together); the process's CPU and bytes written per step %s, per create %s",
				env.commitsPerRun, env.stepCost, env.createCost),
		},
	}, nil
}

// notes is the baseline's collection (made on first use).
func notes(env *inProcess) (*core.Collection, error) {
	if c, err := env.app.FindCollectionByNameOrId(benchNotes); err == nil {
		return c, nil
	}
	c := core.NewBaseCollection(benchNotes)
	c.Fields.Add(&core.TextField{Name: "body"})
	return c, env.app.Save(c)
}

// saveNotes creates n records of c from concurrency goroutines.
func saveNotes(env *inProcess, c *core.Collection, n, concurrency int) error {
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	for g := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += concurrency {
				r := core.NewRecord(c)
				r.Set("body", fmt.Sprintf("note %d", i))
				if err := env.app.Save(r); err != nil {
					env.logs.see(err)
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// warmUp runs a tenth of the throughput measurement's runs and creates
// before either is measured, so neither pays for the process's first
// moments (the heap growing, statements prepared, each table's first
// pages); the steps, measured first, had paid them alone.
func warmUp(env *inProcess, cfg config) error {
	ids, err := startFive(env, cfg.throughput/10)
	if err != nil {
		return err
	}
	if err := waitAll(env.app, ids, time.Minute); err != nil {
		return err
	}
	c, err := notes(env)
	if err != nil {
		return err
	}
	return saveNotes(env, c, cfg.throughput/2, cfg.workers)
}

// cost is what n operations took of the process's CPU and writes.
type cost struct {
	cpu   time.Duration
	wrote int64
	n     int
}

func (c cost) String() string {
	if c.n == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs, %.1f KB", float64(c.cpu.Microseconds())/float64(c.n), float64(c.wrote)/1024/float64(c.n))
}
