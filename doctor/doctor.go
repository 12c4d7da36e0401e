package doctor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/academy"
)

// Severity says whether a finding breaks an invariant or needs a person.
type Severity string

const (
	Violation Severity = "violation" // an invariant the code must keep is broken
	Attention Severity = "attention" // allowed, but someone should look
)

// Finding is one broken invariant (or one state needing attention).
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	IDs      []string `json:"ids"` // the records involved, "collection:id"
	Message  string   `json:"message"`
}

// Report is the result of Check.
type Report struct {
	CheckedAt  string         `json:"checked_at"`
	ElapsedMS  int64          `json:"elapsed_ms"`
	Violations int            `json:"violations"`
	Attention  int            `json:"attention"`
	Counts     map[string]int `json:"counts"` // how much was looked at
	// TimingsMS is each group's time, to see which check grows with the data.
	TimingsMS map[string]int64 `json:"timings_ms"`
	Findings  []Finding        `json:"findings"`
}

// Failed reports whether any invariant is broken (attention alone is not).
func (r Report) Failed() bool { return r.Violations > 0 }

// Options tune a check.
type Options struct {
	// Now is the instant the checks compare with (default: time.Now).
	Now time.Time
	// Context bounds the Stripe calls of the reconciliation.
	Context context.Context
}

// checker carries what every group needs.
type checker struct {
	app      core.App
	now      time.Time
	ctx      context.Context
	settings academy.Settings
	report   *Report
}

func (c *checker) add(code string, sev Severity, msg string, ids ...string) {
	c.report.Findings = append(c.report.Findings, Finding{Code: code, Severity: sev, IDs: ids, Message: msg})
}

func (c *checker) violation(code, msg string, ids ...string) { c.add(code, Violation, msg, ids...) }
func (c *checker) attention(code, msg string, ids ...string) { c.add(code, Attention, msg, ids...) }

func (c *checker) nowDB() string { return dbTime(c.now) }

// groups run in this order; each adds its findings and counts.
var groups = []struct {
	name string
	run  func(*checker) error
}{
	{"overlaps", checkOverlaps},
	{"placement", checkPlacement},
	{"lifecycle", checkLifecycle},
	{"credits", checkCredits},
	{"money", checkMoney},
	{"runs", checkRuns},
	{"outbox", checkOutbox},
	{"audit", checkAudit},
	{"taught", checkTaught},
}

// Check reads app's database and reports every violation of the academy's
// invariants. It writes nothing; an error means a check could not run.
func Check(app core.App, opts Options) (Report, error) {
	started := time.Now()
	if opts.Now.IsZero() {
		opts.Now = started
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	rep := Report{Counts: map[string]int{}, TimingsMS: map[string]int64{}, Findings: []Finding{}}
	settings, err := academy.Load(app)
	if err != nil {
		return rep, fmt.Errorf("academy settings: %w", err)
	}
	c := &checker{app: app, now: opts.Now.UTC(), ctx: opts.Context, settings: settings, report: &rep}
	for _, g := range groups {
		began := time.Now()
		if err := g.run(c); err != nil {
			return rep, fmt.Errorf("%s: %w", g.name, err)
		}
		rep.TimingsMS[g.name] = time.Since(began).Milliseconds()
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity == Violation
		}
		return a.Code < b.Code
	})
	for _, f := range rep.Findings {
		if f.Severity == Violation {
			rep.Violations++
		} else {
			rep.Attention++
		}
	}
	rep.CheckedAt = dbTime(opts.Now)
	rep.ElapsedMS = time.Since(started).Milliseconds()
	return rep, nil
}

// dbTime formats an instant the way PocketBase stores dates, so string
// comparison in SQL orders them correctly.
func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// parseDB reads a stored date ("" is the zero time).
func parseDB(s string) time.Time {
	d, _ := types.ParseDateTime(s)
	return d.Time()
}

func ref(collection, id string) string { return collection + ":" + id }
