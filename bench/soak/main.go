// Command soak runs the seed's load for a long stretch with the workflow
// workers busy, and reports each minute: 100 simulated users (parents,
// teachers, an admin, anonymous visitors), each with its own token, send
// about 200 requests/s of reads and writes — lists, schedules, the public
// catalogue, payments and ledgers, the record API; students created and
// edited, lessons booked, moved and cancelled, make-ups booked, children
// enrolled (billing online against the Stripe stand-in, whose webhooks are
// delivered back), reminder runs started — to the built academy binary
// serving `demo --size bench`, with mail going to mailpit over SMTP.
//
// Per minute it prints requests, errors, 409s, the server's RSS (VmRSS),
// threads and CPU, the outbox, the workflow steps and mails done, and the
// p95 of each endpoint; then three verdicts: 0 errors, 0 "database is
// locked" (in answers, in the server's output and in PocketBase's log
// table), memory flat (the last minute's RSS within 10 % of the first minute of the second half: the first half is warm-up).
// It exits 1 when one of them fails. The table is written to
// bench/out/soak.md.
//
//	go run ./bench/soak -bin bin/cedarheights [-duration 10m]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"cedarheights/bench/internal/benchmail"
	"cedarheights/bench/internal/machine"
	"cedarheights/bench/internal/served"
	"cedarheights/billing/stripestub"
)

type config struct {
	bin, data, out, size string
	reuse, keep          bool
	duration             time.Duration
	rate, writes         float64
	users                users
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "the built academy binary (make soak builds bin/cedarheights)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Minute, "how long the load runs")
	flag.Float64Var(&cfg.rate, "rate", 200, "requests per second, about (actions are paced to make it)")
	flag.Float64Var(&cfg.writes, "writes", 0.10, "the share of requests that write (bookings with their slot lookups, students, enrollments, runs)")
	flag.StringVar(&cfg.size, "size", "bench", "the demo size to load (bench: 5,000 students, 50 teachers, a school year of lessons)")
	flag.StringVar(&cfg.data, "data", "", "the data dir to load into (default: a temporary one, removed afterwards)")
	flag.BoolVar(&cfg.reuse, "reuse", false, "with -data: serve it as it is instead of loading the demo")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary data dir (printed)")
	flag.StringVar(&cfg.out, "out", "bench/out/soak.md", "where to write the tables")
	flag.IntVar(&cfg.users.Parents, "parents", 58, "simulated parents")
	flag.IntVar(&cfg.users.Teachers, "teachers", 20, "simulated teachers")
	flag.IntVar(&cfg.users.Anonymous, "anonymous", 21, "simulated anonymous visitors (with the parents, the teachers and the admin: 100 users)")
	flag.Parse()
	if cfg.bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	passed, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if !passed {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak: "+format+"\n", args...)
}

const webhookSecret = "whsec_soak"

func run(cfg config) (bool, error) {
	r := &result{Duration: cfg.duration, Rate: cfg.rate, Size: cfg.size, Users: cfg.users, LoadBefore: machine.LoadAvg()}

	mail, err := benchmail.Start()
	if err != nil {
		return false, err
	}
	defer mail.Stop()
	stub := stripestub.Start()
	defer stub.Close()
	stub.WebhookSecret = webhookSecret
	// The server (and the billing command) read these from the environment.
	for k, v := range map[string]string{
		"STRIPE_SECRET_KEY": "sk_test_soak", "STRIPE_API_BASE": stub.URL, "STRIPE_WEBHOOK_SECRET": webhookSecret,
		"SMTP_HOST": mail.SMTPHost, "SMTP_PORT": strconv.Itoa(mail.SMTPPort),
	} {
		os.Setenv(k, v)
	}

	dir, owned := cfg.data, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cedarheights-soak-"); err != nil {
			return false, err
		}
		owned = true
	}
	srv := &served.Server{Bin: cfg.bin, Dir: dir}
	var once sync.Once
	cleanup := func() {
		once.Do(func() {
			srv.Stop()
			if owned && !cfg.keep {
				os.RemoveAll(dir)
			}
		})
	}
	defer cleanup()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cleanup()
		mail.Stop()
		os.Exit(130)
	}()

	if cfg.reuse && cfg.data != "" {
		logf("serving %s as it is", dir)
	} else {
		logf("loading demo --size %s into %s…", cfg.size, dir)
	}
	if r.LoadTime, err = srv.Prepare(cfg.size, cfg.reuse); err != nil {
		return false, err
	}
	if err := srv.Run(io.Discard, "billing", "sync-prices", "--dir", dir); err != nil {
		return false, fmt.Errorf("billing sync-prices: %w", err)
	}
	c, err := readCast(dir, cfg.users, 1)
	if err != nil {
		return false, err
	}
	logf("%d parents (%d students), %d teachers, %d family lessons and %d others to work on",
		len(c.Parents), countStudents(c), len(c.Teachers), len(c.FamilyLessons), len(c.OtherLessons))
	if err := srv.Start(); err != nil {
		return false, err
	}
	stub.WebhookURL = srv.Base + "/api/v1/stripe/webhooks"
	logf("server up at %s (pid %d)", srv.Base, srv.PID())

	rec := &recorder{}
	t := &traffic{base: srv.Base, rec: rec}
	s := newSoak(t, c)
	mix := withWriteShare(s.actions(), cfg.writes)
	next, reqsPerAction := chooser(mix)
	r.ActionRate, r.WriteShare = cfg.rate/reqsPerAction, writeShare(mix)

	w := newWatcher(srv.PID(), srv.Base, c.Admin.Token)
	w.start(5 * time.Second)
	hooks := deliverWebhooks(stub, rec)

	r.Started = time.Now()
	logf("soak: %.1f actions/s (~%.0f req/s) for %s", r.ActionRate, cfg.rate, cfg.duration)
	go progress(r.Started, cfg.duration, rec)
	t.run(r.ActionRate, cfg.duration, func() func() { a := next(); return func() { a.Do(s) } })
	r.Dropped = t.dropped
	r.WebhookDeliveries, r.WebhookErrors = hooks.stop()
	r.Probes = w.finish()
	r.LoadAfter = machine.LoadAvg()

	srv.Stop()
	if r.LogLocked, r.LogLockedLines, err = lockedInLog(srv.LogPath()); err != nil {
		return false, err
	}
	minutes := int((cfg.duration + time.Minute - 1) / time.Minute)
	if r.After, err = readAfterwards(dir, r.Started, minutes); err != nil {
		return false, err
	}
	if owned && cfg.keep {
		logf("data dir kept: %s", dir)
	}
	r.Samples = rec.all()
	r.build()
	table := r.markdown()
	fmt.Println(table)
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err == nil {
			os.WriteFile(cfg.out, []byte(table), 0o644)
		}
	}
	flat := r.FlatRatio > 0 && r.FlatRatio <= 1+flatWithin
	locked := r.Totals.Locked + r.LogLocked + r.After.LogLocked
	return r.Totals.Errors == 0 && len(r.WebhookErrors) == 0 && r.Dropped == 0 && locked == 0 && flat, nil
}

func countStudents(c *cast) int {
	n := 0
	for _, p := range c.Parents {
		n += len(p.Students)
	}
	return n
}

// progress prints a line a minute so a long run shows it is alive.
func progress(started time.Time, d time.Duration, rec *recorder) {
	for m := 1; time.Duration(m)*time.Minute <= d; m++ {
		time.Sleep(time.Until(started.Add(time.Duration(m) * time.Minute)))
		all := rec.all()
		errs := 0
		for _, s := range all {
			if s.Outcome == failed {
				errs++
			}
		}
		logf("minute %d: %d requests so far, %d errors, load average %s", m, len(all), errs, machine.LoadAvg())
	}
}
