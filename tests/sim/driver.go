package sim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config is one simulation.
type Config struct {
	Seed       uint64
	Weeks      int // simulated weeks of operations
	Families   int
	OpsPerWeek int
	Restarts   int // kill -9 restarts at seeded points
}

// Term is the short run `make test` plays; Year the one `make bench` plays.
func Term(seed uint64) Config {
	return Config{Seed: seed, Weeks: 14, Families: 14, OpsPerWeek: 14, Restarts: 3}
}

func Year(seed uint64) Config {
	return Config{Seed: seed, Weeks: 40, Families: 30, OpsPerWeek: 22, Restarts: 10}
}

// Result is what a run did.
type Result struct {
	Ops      int            // HTTP operations the driver sent (bursts count each request)
	ByKind   map[string]int // operations by kind
	Restarts int
	Wall     time.Duration
	Doctor   string // "clean", "skipped: …" or the report
	Problems []string
}

// Sim is one run against one server.
type Sim struct {
	t   testing.TB
	cfg Config
	rng *rand.Rand
	e   *env
	c   *client
	cal *calendar
	m   *model

	super, admin  string
	teacherTokens []string

	statsMu sync.Mutex
	stats   map[string]int
	ops     int

	problems []string
	// cut: some request since the last reconcile got no answer (a kill).
	cut        bool
	restarts   int
	nowBase    time.Time // the round-the-clock teachers' grid, near real now
	nowNext    int
	attendance []*lesson
	series     int
	seriesDST  int
	events     []map[string]any // signed webhooks not yet answered 200
	week       int
	nextStu    int
	sunday     map[string]bool // grid teachers whose week has the Sunday window
	mails      int
	slots      int                      // public trial slots checked against the model
	took       map[string]time.Duration // wall time by operation kind
}

// Run plays cfg against a freshly built binary.
func Run(t testing.TB, bin string, cfg Config) (*Result, error) {
	started := time.Now()
	e, err := startEnv(t, bin)
	if err != nil {
		return nil, err
	}
	defer e.srv.Kill()
	cal, err := newCalendar(time.Now())
	if err != nil {
		return nil, err
	}
	s := &Sim{t: t, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), e: e, c: e.client, cal: cal, m: newModel(), stats: map[string]int{}, took: map[string]time.Duration{}}
	s.nextStu = cfg.Families
	if err := s.setUp(); err != nil {
		return nil, err
	}
	t.Logf("sim: seed %d, week 0 starts %s (%s), %d families, %d weeks × %d operations, %d restarts",
		cfg.Seed, cal.anchor.Format(time.DateOnly), Zone, cfg.Families, cfg.Weeks, cfg.OpsPerWeek, cfg.Restarts)
	if err := s.play(); err != nil {
		return nil, err
	}
	res := &Result{Ops: s.ops, ByKind: s.stats, Restarts: s.restarts, Problems: s.problems}
	for _, k := range sortedKeys(s.took) {
		t.Logf("sim: %-22s %6.2f s", k, s.took[k].Seconds())
	}
	defer func() {
		t.Logf("sim: %d weekly series (%d across both daylight-saving changes), %d mails, %d public slots checked", s.series, s.seriesDST, s.mails, s.slots)
	}()
	if err := s.verify(); err != nil {
		return nil, err
	}
	res.Problems = s.problems
	res.Wall = time.Since(started)
	if err := e.stop(); err != nil {
		return nil, err
	}
	res.Doctor = s.doctor()
	res.Problems = s.problems
	return res, nil
}

func (s *Sim) count(kind string) {
	s.statsMu.Lock()
	s.stats[kind]++
	s.ops++
	s.statsMu.Unlock()
}

// problem records a disagreement between the server and the model.
func (s *Sim) problem(format string, args ...any) {
	msg := fmt.Sprintf("week %d: ", s.week) + fmt.Sprintf(format, args...)
	s.t.Log("sim problem: " + msg)
	s.problems = append(s.problems, msg)
}

// expect checks an answer's status against the ones the model allows; a
// cut answer (status 0) marks the run as needing a reconcile.
func (s *Sim) expect(a answer, what string, statuses ...int) bool {
	if a.status == 0 {
		s.cut = true
		return false
	}
	for _, st := range statuses {
		if a.status == st {
			return true
		}
	}
	if a.status >= 500 {
		s.problem("%s: server error %s", what, a)
	} else {
		s.problem("%s: want %v, got %s", what, statuses, a)
	}
	return false
}

// op is one kind of operation and its weight.
type op struct {
	name   string
	weight int
	run    func()
}

func (s *Sim) operations() []op {
	return []op{
		{"series", 3, s.opSeries},
		{"cancel-with-notice", 4, s.opCancelWithNotice},
		{"cancel-inside-notice", 2, s.opCancelInsideNotice},
		{"makeup", 4, s.opMakeup},
		{"makeup-without-credit", 1, s.opMakeupWithoutCredit},
		{"burst-same-slot", 2, s.opBurst},
		{"closure", 1, s.opClosure},
		{"time-off", 1, s.opTimeOff},
		{"availability", 1, s.opAvailability},
		{"attendance-too-early", 1, s.opAttendanceTooEarly},
		{"enroll", 3, s.opEnroll},
		{"payment", 3, s.opPayment},
		{"refund", 2, s.opRefund},
		{"refund-burst", 1, s.opRefundBurst},
		{"dispute", 1, s.opDispute},
		{"renew", 2, s.opRenew},
		{"plan-change", 1, s.opPlanChange},
		{"withdraw", 1, s.opWithdraw},
		{"offer", 2, s.opOffer},
		{"burst-one-credit", 1, s.opBurstOneCredit},
		{"burst-cancel", 1, s.opBurstCancel},
		{"batch-makeups", 1, s.opBatchMakeups},
		{"payment-race", 1, s.opPaymentRace},
		{"refund-refused", 1, s.opRefundRefused},
		{"reinstate-race", 2, s.opReinstateRace},
		{"timeslots", 2, s.opTimeslots},
		{"cancel-enrollment", 1, s.opCancelEnrollment},
	}
}

// play runs the weeks: the first week gives every first student its
// weekly series; then each week draws OpsPerWeek operations.
func (s *Sim) play() error {
	s.nowBase = time.Now().Truncate(time.Hour).Add(2 * time.Hour)
	s.bookAttendance()
	for _, st := range s.m.sortedStudents() {
		s.seriesFor(st, 0)
	}
	s.deliverEvents()
	ops := s.operations()
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	n := s.cfg.Weeks * s.cfg.OpsPerWeek
	plan := rand.New(rand.NewPCG(s.cfg.Seed, s.cfg.Seed^0x9a7e))
	kinds := make([]op, n+1)
	for i := 1; i <= n; i++ {
		pick := plan.IntN(total)
		for _, o := range ops {
			if pick < o.weight {
				kinds[i] = o
				break
			}
			pick -= o.weight
		}
	}
	kills := map[int]bool{}
	for len(kills) < s.cfg.Restarts && len(kills) < n-1 {
		kills[1+plan.IntN(n-1)] = true
	}
	i := 0
	for w := 0; w < s.cfg.Weeks; w++ {
		s.week = w
		for range s.cfg.OpsPerWeek {
			i++
			chosen := kinds[i]
			began := time.Now()
			// Each operation draws from its own stream: what one operation
			// drew (which may depend on the server's timing, e.g. how many
			// offers its workflows have sent) cannot shift the next ones.
			s.rng = rand.New(rand.NewPCG(s.cfg.Seed, uint64(i)))
			if kills[i] {
				if err := s.killDuring(chosen); err != nil {
					return err
				}
			} else {
				chosen.run()
			}
			s.deliverEvents()
			s.took[chosen.name] += time.Since(began)
		}
	}
	return nil
}

// killDuring runs an operation and kills the server under it after a
// seeded delay (0–40 ms: before, during or after its writes), restarts on
// the same data dir and reconciles the model with what the server kept.
func (s *Sim) killDuring(o op) error {
	delay := time.Duration(s.rng.IntN(40)) * time.Millisecond
	// One kill in three lands on the webhooks the operation caused
	// instead (their processing: ledger entries, payment states).
	what := o.name
	if s.rng.IntN(3) == 0 {
		o.run()
		what = "the webhooks of " + o.name
		o.run = s.deliverEvents
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.run()
	}()
	time.Sleep(delay)
	s.t.Logf("sim: kill -9 during %s after %v (restart %d)", what, delay, s.restarts+1)
	killed := time.Now()
	if err := s.e.restart(); err != nil {
		return err
	}
	<-done
	s.restarts++
	s.t.Logf("sim: serving again %.2f s after the kill", time.Since(killed).Seconds())
	s.cut = true
	return s.reconcile()
}

// deliverEvents sends the Stripe stand-in's new events to the webhook, as
// Stripe does: some twice, some out of order; an event not answered 200
// is sent again later.
func (s *Sim) deliverEvents() {
	evs := append(s.events, s.e.stub.Pending()...)
	s.events = nil
	if len(evs) == 0 {
		return
	}
	// Reorder within the batch and duplicate about one in five.
	var out []map[string]any
	for _, ev := range evs {
		out = append(out, ev)
		if s.rng.IntN(5) == 0 {
			out = append(out, ev)
		}
	}
	for i := len(out) - 1; i > 0; i-- {
		if s.rng.IntN(3) == 0 {
			j := s.rng.IntN(i + 1)
			out[i], out[j] = out[j], out[i]
		}
	}
	answered := map[string]bool{}
	for _, ev := range out {
		s.count("webhook")
		code, err := s.e.stub.Deliver(ev, stripeDelivery())
		id, _ := ev["id"].(string)
		if err == nil && code == http.StatusOK {
			answered[id] = true
			continue
		}
		if err == nil && code >= 500 {
			s.problem("webhook %s (%s): %d", id, ev["type"], code)
		}
	}
	seen := map[string]bool{}
	for _, ev := range out {
		id, _ := ev["id"].(string)
		if !answered[id] && !seen[id] {
			seen[id] = true
			s.events = append(s.events, ev)
		}
	}
}

// pick returns a seeded element of a non-empty slice.
func pick[T any](s *Sim, xs []T) T { return xs[s.rng.IntN(len(xs))] }

// key is an idempotency key the seed determines.
func (s *Sim) key(prefix string) string {
	return fmt.Sprintf("sim-%s-%d-%08x", prefix, s.cfg.Seed, s.rng.Uint32())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func short(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
