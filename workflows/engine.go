package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/security"
)

// Options configure an engine. Zero values take the defaults.
type Options struct {
	Workers       int           // runs executed at once (WORKFLOW_WORKERS, default 4)
	Lease         time.Duration // how long a claim lasts without a heartbeat (WORKFLOW_LEASE, default 30s)
	PollInterval  time.Duration // how often due timers and expired leases are looked for (default 1s)
	ShutdownGrace time.Duration // how long running nodes may finish on shutdown (default 5s)
	MailInterval  time.Duration // how often the outbox is looked at (default 5s; enqueues wake it at once)
	NoMail        bool          // do not run the outbox sender
	NoSchedules   bool          // do not fire cron schedules
	Registry      *Registry     // definitions (default: an empty registry)

	// OnCheckpoint, when set, receives the duration of every checkpoint
	// (the benchmark's probe).
	OnCheckpoint func(time.Duration)
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 5 * time.Second
	}
	if o.MailInterval <= 0 {
		o.MailInterval = 5 * time.Second
	}
	if o.Registry == nil {
		o.Registry = NewRegistry()
	}
	return o
}

// OptionsFromEnv reads WORKFLOW_WORKERS and WORKFLOW_LEASE (a Go duration).
func OptionsFromEnv() Options {
	var o Options
	if n, err := strconv.Atoi(os.Getenv("WORKFLOW_WORKERS")); err == nil && n > 0 {
		o.Workers = n
	}
	if d, err := time.ParseDuration(os.Getenv("WORKFLOW_LEASE")); err == nil && d > 0 {
		o.Lease = d
	}
	return o
}

// Engine runs the workflows of one app: a bounded worker pool that claims
// runs with leases, a scanner for due timers, expired leases and waits, the
// cron schedules and the outbox sender.
type Engine struct {
	app      core.App
	reg      *Registry
	opts     Options
	owner    string        // lease owner: host:pid:nonce
	lock     *os.File      // the data dir's workflows.lock while held (instance_lock.go); under mu
	lockWait bool          // another live process holds that lock: the heartbeat tries again; under mu
	claims   atomic.Uint64 // lease token sequence
	log      *slog.Logger

	mu        sync.Mutex
	cond      *sync.Cond
	started   bool
	draining  bool
	stopped   bool
	queue     []job
	tracked   map[string]bool // queued or executing
	deferred  map[string]job  // claimed while executing: runs again after
	executing map[string]*executor
	waiters   map[string][]chan struct{}

	runCtx    context.Context // cancelled when running nodes must stop
	cancelRun context.CancelFunc
	bgCtx     context.Context // cancelled when background loops must stop
	cancelBg  context.CancelFunc
	workers   sync.WaitGroup
	bg        sync.WaitGroup
	scanKick  chan struct{}
	mailKick  chan struct{}

	grouping bool // writes are group-committed (committer.go); under mu

	cmu         sync.Mutex   // guards the group commit's queue
	commitQueue []*commitReq // the leader's request first
	committing  bool         // a leader is committing; later writes queue

	stmts     atomic.Pointer[stmtCache] // the checkpoint's prepared statements (stmts.go)
	executors atomic.Int32              // runs executing now (execute)
	chainWait time.Duration             // how long a quick task's checkpoint may be held (exec_chain.go; 0: never)
}

// job is a run to execute; run is set when the lease is already ours.
type job struct {
	id  string
	run *Run
}

const storeKey = "cedarheights.workflows"

// NewEngine builds an engine for app, binds its hooks (record triggers,
// the guard on client writes, start on serve, stop on terminate) and
// stores it on app so Start, Signal and the control functions find it.
func NewEngine(app core.App, opts Options) *Engine {
	opts = opts.withDefaults()
	host, _ := os.Hostname()
	e := &Engine{
		app: app, reg: opts.Registry, opts: opts,
		owner:     fmt.Sprintf("%s:%d:%s", host, os.Getpid(), security.RandomString(8)),
		log:       app.Logger().With("component", "workflows"),
		tracked:   map[string]bool{},
		deferred:  map[string]job{},
		executing: map[string]*executor{},
		waiters:   map[string][]chan struct{}{},
		scanKick:  make(chan struct{}, 1),
		mailKick:  make(chan struct{}, 1),
		chainWait: chainWait,
	}
	e.cond = sync.NewCond(&e.mu)
	app.Store().Set(storeKey, e)

	bindGuard(app)
	e.bindRecordTriggers()
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "workflowsStart",
		Func: func(se *core.ServeEvent) error {
			if err := e.Start(); err != nil {
				return err
			}
			return se.Next()
		},
	})
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Id: "workflowsStop",
		Func: func(te *core.TerminateEvent) error {
			e.Stop()
			return te.Next()
		},
	})
	return e
}

// EngineOf returns the engine registered on app, or nil.
func EngineOf(app core.App) *Engine {
	e, _ := app.Store().Get(storeKey).(*Engine)
	return e
}

func engineOf(app core.App) (*Engine, error) {
	if e := EngineOf(app); e != nil {
		return e, nil
	}
	return nil, ErrNoEngine
}

// Registry is the engine's registry.
func (e *Engine) Registry() *Registry { return e.reg }

// Start takes over the runs leased by the data dir's previous process
// once that process is gone (lease.go takeOver), then starts the workers,
// the scanner, the heartbeat, the schedules and the outbox sender. It is a
// no-op when already started.
func (e *Engine) Start() error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return nil
	}
	e.started = true
	e.runCtx, e.cancelRun = context.WithCancel(context.Background())
	e.bgCtx, e.cancelBg = context.WithCancel(context.Background())
	e.grouping = true
	e.stmts.Store(newStmtCache(e.app))
	e.mu.Unlock()

	e.takeOver(true)
	for range e.opts.Workers {
		e.workers.Add(1)
		go e.worker()
	}
	e.goBackground(e.scanLoop)
	e.goBackground(e.heartbeatLoop)
	if !e.opts.NoSchedules {
		e.goBackground(e.scheduleLoop)
	}
	if !e.opts.NoMail {
		e.goBackground(e.mailLoop)
	}
	e.kickScan()
	return nil
}

func (e *Engine) goBackground(fn func(ctx context.Context)) {
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		fn(e.bgCtx)
	}()
}

// Stop lets running nodes finish for up to ShutdownGrace, then cancels
// them (their attempts are not recorded and rerun after a restart) and
// releases every lease this engine holds, so the next process resumes the
// runs at once.
func (e *Engine) Stop() {
	e.mu.Lock()
	if !e.started || e.stopped {
		e.mu.Unlock()
		return
	}
	e.stopped = true
	e.draining = true
	e.cond.Broadcast()
	e.mu.Unlock()

	done := make(chan struct{})
	go func() { e.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(e.opts.ShutdownGrace):
		e.cancelRun()
		<-done
	}
	e.cancelRun()
	e.cancelBg()
	e.bg.Wait()
	e.mu.Lock()
	e.grouping = false
	e.mu.Unlock()
	e.stmts.Load().close()
	if _, err := e.app.NonconcurrentDB().Update(runsTable,
		dbx.Params{"lease_owner": "", "lease_until": ""}, ownLeases(e.owner)).Execute(); err != nil {
		e.log.Error("workflows: releasing leases on shutdown failed", "error", err)
	}
	e.mu.Lock()
	if e.lock != nil {
		e.lock.Close() // the next process may take over at once
		e.lock = nil
	}
	e.mu.Unlock()
}

// isDraining reports whether the engine is shutting down.
func (e *Engine) isDraining() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.draining
}

// accepting reports whether runs started now can be handed to this
// engine's workers directly.
func (e *Engine) accepting() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started && !e.draining
}

// enqueue hands a run to the workers (at most once at a time per run).
// A claimed job is never dropped: it replaces an unclaimed one for the
// same run, or waits until the run's current execution ends.
func (e *Engine) enqueue(j job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.draining {
		return // Stop releases every lease this engine holds
	}
	if e.tracked[j.id] {
		if j.run == nil {
			return
		}
		for i := range e.queue {
			if e.queue[i].id == j.id {
				e.queue[i].run = j.run
				return
			}
		}
		e.deferred[j.id] = j
		return
	}
	e.tracked[j.id] = true
	e.queue = append(e.queue, j)
	e.cond.Signal()
}

// poke asks for a run to be looked at now (a signal woke it, an operator
// resumed it).
func (e *Engine) poke(id string) {
	if e.accepting() {
		e.enqueue(job{id: id})
	}
}

func (e *Engine) kickScan() {
	select {
	case e.scanKick <- struct{}{}:
	default:
	}
}

func (e *Engine) worker() {
	defer e.workers.Done()
	for {
		e.mu.Lock()
		for len(e.queue) == 0 && !e.draining {
			e.cond.Wait()
		}
		if e.draining {
			e.mu.Unlock()
			return
		}
		j := e.queue[0]
		e.queue = e.queue[1:]
		short := len(e.queue) < e.opts.Workers
		e.mu.Unlock()
		if short {
			e.kickScan()
		}

		e.execute(j)

		e.mu.Lock()
		if next, ok := e.deferred[j.id]; ok && !e.draining {
			delete(e.deferred, j.id)
			e.queue = append(e.queue, next)
			e.cond.Signal()
		} else {
			delete(e.deferred, j.id)
			delete(e.tracked, j.id)
		}
		e.mu.Unlock()
	}
}

// queued is how many jobs wait for a worker.
func (e *Engine) queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queue)
}

// trackedIDs are the runs queued or executing here.
func (e *Engine) trackedIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.tracked))
	for id := range e.tracked {
		ids = append(ids, id)
	}
	return ids
}

// cancelLocal stops the run's executor if it runs here.
func (e *Engine) cancelLocal(id string) {
	e.mu.Lock()
	x := e.executing[id]
	e.mu.Unlock()
	if x != nil {
		x.cancel()
	}
}

// notify wakes the Await calls of a run that ended or parked; each looks
// whether that is what it waits for.
func (e *Engine) notify(id string) {
	e.mu.Lock()
	chans := e.waiters[id]
	delete(e.waiters, id)
	e.mu.Unlock()
	for _, ch := range chans {
		close(ch)
	}
}

func (e *Engine) waiter(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	e.mu.Lock()
	e.waiters[id] = append(e.waiters[id], ch)
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		list := e.waiters[id]
		for i, c := range list {
			if c == ch {
				e.waiters[id] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(e.waiters[id]) == 0 {
			delete(e.waiters, id)
		}
	}
}

func (e *Engine) checkpointObserved(d time.Duration) {
	if e.opts.OnCheckpoint != nil {
		e.opts.OnCheckpoint(d)
	}
}
