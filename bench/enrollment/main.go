// Command enrollment benchmarks the academy's processes end to end, in one
// process on a fresh data dir, with the Stripe stand-in (billing/stripestub)
// and a real SMTP server (mailpit, started here):
//
//   - enrollment: a signed-in parent's POST /api/v1/enrollments?wait= with a
//     trial slot and a card, timed until the answer says the run completed
//     (validate → account → match → hold → payment: customer, card, trialing
//     subscription on the stand-in → record → welcome mails queued), at 1
//     and at 16 concurrent families, beside PocketBase's own record create
//     (a parent's POST /api/collections/students/records) at the same
//     concurrency in the same run;
//   - mail for a day of 10,000 lessons: the 24 hourly lesson_reminders
//     windows of that day, the reminders queued in the outbox and handed to
//     mailpit by the engine's sender, beside the same messages sent straight
//     to mailpit with PocketBase's mail client (no outbox).
//
// It prints one markdown table (with the load average: the machine may be
// shared) and writes it to bench/out/enrollment.md. It is not a test: it
// fails only when the academy cannot start or requests fail.
//
//	go run ./bench/enrollment [-quick]
package main

import (
	"cedarheights/bench/internal/benchmail"
	"cedarheights/bench/internal/machine"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type config struct {
	sequential int // enrollments at concurrency 1
	rounds     int // rounds of 16 concurrent enrollments
	lessons    int // lessons in the reminder day
	baseline   int // messages sent straight to SMTP
	out        string
}

func main() {
	var cfg config
	quick := flag.Bool("quick", false, "smaller samples (about 30 s)")
	flag.IntVar(&cfg.lessons, "lessons", 10_000, "lessons in the day whose reminders are mailed")
	flag.StringVar(&cfg.out, "out", "bench/out/enrollment.md", "where to write the table")
	flag.Parse()
	cfg.sequential, cfg.rounds, cfg.baseline = 100, 12, 2000
	if *quick {
		cfg.sequential, cfg.rounds, cfg.baseline = 30, 3, 500
		if cfg.lessons == 10_000 {
			cfg.lessons = 2000
		}
	}
	report, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Print(report)
	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err == nil {
			os.WriteFile(cfg.out, []byte(report), 0o644)
		}
	}
}

type row struct {
	measure, value, target, note string
}

func run(cfg config) (string, error) {
	loadBefore := machine.LoadAvg()
	mail, err := benchmail.Start()
	if err != nil {
		return "", err
	}
	defer mail.Stop()
	env, err := newAcademy(mail)
	if err != nil {
		return "", err
	}
	defer env.close()

	var rows []row
	got, err := measureEnrollments(env, cfg)
	if err != nil {
		return "", err
	}
	rows = append(rows, got...)
	got, err = measureReminderDay(env, mail, cfg)
	if err != nil {
		return "", err
	}
	rows = append(rows, got...)
	return render(rows, loadBefore, machine.LoadAvg()), nil
}

func render(rows []row, loadBefore, loadAfter string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Enrollment and mail benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %d × %s, %s %s/%s; load average before %s, after %s (the machine may be shared). "+
		"One process: the academy served on loopback (engine with 4 workers, SQLite in WAL), billing online against "+
		"the Stripe stand-in, mail to mailpit over SMTP.\n\n",
		runtime.NumCPU(), machine.CPUModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadBefore, loadAfter)
	b.WriteString("| Measure | Result | Target | Notes |\n|---|---:|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.measure, r.value, r.target, r.note)
	}
	return b.String()
}

// pct is the q-quantile (0..1) of ds, in milliseconds.
func pct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
}

func check(ok bool, target string) string {
	if ok {
		return "✓ " + target
	}
	return "✗ " + target
}
