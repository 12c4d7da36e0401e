// Command billing benchmarks the academy's billing against the stateful
// Stripe stand-in (billing/stripestub), in one process: the academy is
// served on a loopback port with a fresh data dir, billing points at the
// stand-in, and the workflow engine processes events as in production.
//
//   - webhook ingest: signed deliveries (a fifth of them repeats) posted by
//     concurrent senders; the time measured is verify, store (with the
//     event's workflow run) and answer; processing runs behind it;
//   - POST /api/v1/payments/process: card payments by parents, each with
//     its own Idempotency-Key (customer, PaymentIntent, ledger, receipt);
//   - `billing reconcile` over every family (default 500) with a customer,
//     a payment and a paid tuition invoice each.
//
// It prints one markdown table and writes it to bench/out/billing.md. It is
// not a test: it fails only when the academy cannot start or requests fail.
//
//	go run ./bench/billing [-quick]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

const webhookSecret = "whsec_bench"

type config struct {
	families, events, senders, payments, payers int
	out                                         string
}

func main() {
	var cfg config
	quick := flag.Bool("quick", false, "fewer families, events and payments (about 15 s)")
	flag.IntVar(&cfg.families, "families", 500, "families for the reconcile run")
	flag.IntVar(&cfg.events, "events", 4000, "webhook deliveries")
	flag.IntVar(&cfg.senders, "senders", 8, "concurrent webhook senders")
	flag.IntVar(&cfg.payments, "payments", 400, "payments/process requests")
	flag.IntVar(&cfg.payers, "payers", 4, "concurrent payers")
	flag.StringVar(&cfg.out, "out", "bench/out/billing.md", "where to write the table")
	flag.Parse()
	if *quick {
		cfg.families, cfg.events, cfg.payments = 100, 800, 100
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type row struct {
	test, detail string
	n            int
	rate         float64
	p50, p95     time.Duration
	p99, total   time.Duration
	note         string
}

func run(cfg config) error {
	dir, err := os.MkdirTemp("", "cedarheights-billing-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	if err := app.RunAllMigrations(); err != nil {
		return err
	}
	if err := wiring.Register(app, wiring.WithEngineOptions(workflows.Options{NoSchedules: true, NoMail: true})); err != nil {
		return err
	}
	// One client IP sends everything here; the stored limits stay on.
	app.Settings().RateLimits.Enabled = false
	defer workflows.EngineOf(app).Stop()

	stub := stripestub.Start()
	defer stub.Close()
	stub.WebhookSecret = webhookSecret
	svc := billing.Use(app, billing.Config{SecretKey: "sk_test_bench", WebhookSecret: webhookSecret, APIBase: stub.URL})

	base, stop, err := serve(app)
	if err != nil {
		return err
	}
	defer stop()
	stub.WebhookURL = base + "/api/v1/stripe/webhooks"
	ctx := context.Background()

	fmt.Fprintf(os.Stderr, "seeding %d families (customer, plan price, paid subscription, card payment each)…\n", cfg.families)
	seedStart := time.Now()
	fam, err := seed(ctx, app, svc, stub, cfg.families)
	if err != nil {
		return err
	}
	seedTook := time.Since(seedStart)
	seeded := stub.Pending() // the seeding's events, delivered in the ingest run

	var rows []row

	// Webhook ingest.
	fmt.Fprintf(os.Stderr, "webhook ingest: %d deliveries by %d senders…\n", cfg.events, cfg.senders)
	deliveries := make([]stripestub.Obj, 0, cfg.events)
	for i := 0; len(deliveries) < cfg.events; i++ {
		if i < len(seeded) {
			deliveries = append(deliveries, seeded[i])
			continue
		}
		if i%5 == 4 && len(deliveries) > 0 {
			deliveries = append(deliveries, deliveries[(i*7919)%len(deliveries)]) // a repeat
			continue
		}
		// Events we store and ignore (customer.updated) stand in for the
		// rest of an account's traffic.
		deliveries = append(deliveries, stub.Emit("customer.updated", map[string]any{"id": fam[i%len(fam)].customer, "object": "customer"}))
	}
	stub.Pending()
	lat, wall, failed := send(deliveries, cfg.senders, func(ev stripestub.Obj) (int, error) { return stub.Deliver(ev, stripestub.Delivery{}) })
	if failed > 0 {
		return fmt.Errorf("%d webhook deliveries failed", failed)
	}
	processStart := time.Now()
	svc.Flush()
	drained := time.Since(processStart)
	r := summarize("Webhook ingest (verify, store + start run, answer)", "`POST /api/v1/stripe/webhooks`", lat, wall)
	r.note = fmt.Sprintf("%d senders, 1 in 5 a repeat; processing drained %s after the last answer", cfg.senders, drained.Round(time.Millisecond))
	rows = append(rows, r)
	var stored, processed int
	app.DB().Select("COUNT(*)").From("stripe_events").Row(&stored)
	app.DB().NewQuery("SELECT COUNT(*) FROM stripe_events WHERE status IN ('processed','ignored')").Row(&processed)

	// payments/process.
	fmt.Fprintf(os.Stderr, "payments/process: %d requests by %d payers…\n", cfg.payments, cfg.payers)
	var seq atomic.Int64
	jobs := make([]int, cfg.payments)
	plat, pwall, pfailed := send(jobs, cfg.payers, func(int) (int, error) {
		n := seq.Add(1)
		f := fam[int(n)%len(fam)]
		body, _ := json.Marshal(map[string]any{"amount": 4500, "kind": "materials", "payment_method": "pm_card_visa", "description": "Books"})
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/payments/process", bytes.NewReader(body))
		req.Header.Set("Authorization", f.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-payment-%08d", n))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	})
	if pfailed > 0 {
		return fmt.Errorf("%d payments failed", pfailed)
	}
	pr := summarize("Card payment", "`POST /api/v1/payments/process`", plat, pwall)
	pr.note = fmt.Sprintf("%d concurrent payers; each creates and confirms a PaymentIntent on the stand-in and writes payment, 2 ledger entries, receipt and outbox mail", cfg.payers)
	rows = append(rows, pr)
	svc.Flush()

	// Reconcile.
	fmt.Fprintf(os.Stderr, "reconcile over %d families…\n", cfg.families)
	rep, err := svc.Reconcile(ctx, time.Time{})
	if err != nil {
		return err
	}
	rows = append(rows, row{
		test: "Reconcile", detail: "`billing reconcile`", n: rep.Families, total: rep.Elapsed,
		note: fmt.Sprintf("%d families, %d charges, %d invoices, %d payments compared; %d mismatches",
			rep.Families, rep.Charges, rep.Invoices, rep.Payments, len(rep.Mismatches)),
	})
	if len(rep.Mismatches) > 0 {
		for _, m := range rep.Mismatches[:min(5, len(rep.Mismatches))] {
			fmt.Fprintf(os.Stderr, "  mismatch: %+v\n", m)
		}
	}

	table := render(cfg, rows, seedTook, stored, processed)
	fmt.Print(table)
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(cfg.out, []byte(table), 0o644)
	}
	return nil
}

type family struct {
	id, token, customer string
}

// seed makes n parent accounts, each with a Stripe customer, a paid
// monthly subscription on an enrollment and one card payment.
func seed(ctx context.Context, app core.App, svc *billing.Service, stub *stripestub.Server, n int) ([]family, error) {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	teacherUser := core.NewRecord(users)
	teacherUser.Load(map[string]any{"name": "Bench Teacher", "role": "teacher", "email": "teacher@bench.test", "password": "bench-password-1"})
	if err := app.Save(teacherUser); err != nil {
		return nil, err
	}
	hash := teacherUser.GetRaw("password").(*core.PasswordFieldValue).Hash
	save := func(collection string, data map[string]any) (*core.Record, error) {
		c, err := app.FindCachedCollectionByNameOrId(collection)
		if err != nil {
			return nil, err
		}
		r := core.NewRecord(c)
		r.Load(data)
		return r, app.Save(r)
	}
	teacher, err := save("teachers", map[string]any{"user": teacherUser.Id, "display_name": "Bench Teacher", "lesson_lengths": []string{"30"}, "active": true})
	if err != nil {
		return nil, err
	}
	plan, err := save("pricing_plans", map[string]any{"name": "Monthly", "lesson_minutes": 30, "lessons_per_period": 4, "interval": "month", "amount": 14000, "currency": "cad", "public": true, "active": true})
	if err != nil {
		return nil, err
	}
	if _, err := svc.SyncPrices(ctx); err != nil {
		return nil, err
	}
	out := make([]family, 0, n)
	for i := range n {
		u := core.NewRecord(users)
		u.Load(map[string]any{"name": fmt.Sprintf("Parent %04d", i), "role": "parent"})
		u.SetEmail(fmt.Sprintf("parent%04d@bench.test", i))
		u.SetRaw("password", &core.PasswordFieldValue{Hash: hash}) // bcrypt once, not 500 times
		u.SetVerified(true)
		if err := app.Save(u); err != nil {
			return nil, err
		}
		token, err := u.NewAuthToken()
		if err != nil {
			return nil, err
		}
		student, err := save("students", map[string]any{"parent": u.Id, "first_name": "Kid", "last_name": fmt.Sprintf("%04d", i), "status": "active"})
		if err != nil {
			return nil, err
		}
		enr, err := save("enrollments", map[string]any{"student": student.Id, "teacher": teacher.Id, "plan": plan.Id, "status": "active", "start_date": time.Now()})
		if err != nil {
			return nil, err
		}
		if _, err := svc.Subscribe(ctx, enr.Id, billing.SubscribeOptions{}); err != nil {
			return nil, err
		}
		if _, err := svc.ProcessPayment(ctx, billing.PaymentRequest{
			Family: u.Id, Amount: 5000, Kind: "registration", PaymentMethod: "pm_card_visa", IdempotencyKey: "bench-seed-" + u.Id,
		}); err != nil {
			return nil, err
		}
		customer, _ := billing.CustomerID(app, u.Id)
		out = append(out, family{id: u.Id, token: token, customer: customer})
	}
	return out, nil
}

// serve runs app's router on a loopback port, as `serve` would.
func serve(app core.App) (string, func(), error) {
	srv, err := testapp.Listen(app)
	if err != nil {
		return "", nil, err
	}
	return srv.URL, srv.Close, nil
}

// send runs do over items with c workers and returns each latency, the
// wall time and the number of failures (errors or non-200 answers).
func send[T any](items []T, c int, do func(T) (int, error)) ([]time.Duration, time.Duration, int) {
	lat := make([]time.Duration, len(items))
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(items) {
					return
				}
				t0 := time.Now()
				code, err := do(items[i])
				lat[i] = time.Since(t0)
				if err != nil || code/100 != 2 {
					if failed.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "  request %d: %d %v\n", i, code, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	return lat, time.Since(start), int(failed.Load())
}

func summarize(test, detail string, lat []time.Duration, wall time.Duration) row {
	sorted := slices.Clone(lat)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	q := func(p float64) time.Duration {
		if len(sorted) == 0 {
			return 0
		}
		return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
	}
	return row{test: test, detail: detail, n: len(lat), rate: float64(len(lat)) / wall.Seconds(),
		p50: q(0.50), p95: q(0.95), p99: q(0.99), total: wall}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func render(cfg config, rows []row, seedTook time.Duration, stored, processed int) string {
	var b strings.Builder
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	fmt.Fprintf(&b, "### Billing benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %d × %s, %s %s/%s; academy, Stripe stand-in and load generator share it, in one process.  \n",
		runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "Data: %d families, each with a Stripe customer, a paid monthly subscription and a card payment (seeded in %s); events processed by workflow runs; rate limiter off.\n\n",
		cfg.families, seedTook.Round(100*time.Millisecond))
	b.WriteString("| Test | Endpoint / command | Requests | Throughput (req/s) | p50 ms | p95 ms | p99 ms | Total | Notes |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		if r.rate == 0 {
			fmt.Fprintf(&b, "| %s | %s | %d | | | | | %s | %s |\n", r.test, r.detail, r.n, r.total.Round(time.Millisecond), r.note)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %s |\n",
			r.test, r.detail, r.n, r.rate, ms(r.p50), ms(r.p95), ms(r.p99), r.total.Round(time.Millisecond), r.note)
	}
	fmt.Fprintf(&b, "\nEvents stored: %d distinct (repeats answered 200 and not stored again); processed or ignored: %d.\n", stored, processed)
	return b.String()
}
