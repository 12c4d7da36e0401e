package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"cedarheights/lessons"
)

// scheduling.go measures the scheduling issue's figures on the same data
// and server as the load benchmark: the in-process conflict check, then
// check-conflicts, public timeslots and the week view over HTTP.

// Targets of issue 3.
const (
	targetCheckP99     = time.Millisecond
	targetTimeslotsP95 = 20 * time.Millisecond
	targetWeekP95      = 10 * time.Millisecond // issue 14
)

// schedulingReport holds the scheduling figures.
type schedulingReport struct {
	CheckCount                   int
	CheckP50, CheckP95, CheckP99 time.Duration
	CheckConflicting             int // how many of the checked lessons had a conflict
	// Existing lessons run through the same check: a loaded timetable
	// must pass its own rules (every one should fit).
	Existing, ExistingConflicting int

	Rows []schedulingRow
}

type schedulingRow struct {
	Test, Path, Rate, Result string
	Step                     step
	Name                     string // the endpoint's, on capacity rows (its closed-loop figure)
}

// sample is what the targets are built from: real ids of the bench data.
type sample struct {
	teachers    []string
	instrument  string
	students    []string
	lessonStart time.Time // a Monday 16:00 (UTC) some weeks ahead
}

// runScheduling also answers the endpoints it searched the capacity of,
// for the closed-loop phase.
func runScheduling(cfg config, srv server, admin string, within criteria, baselineRate float64) (*schedulingReport, []endpoint, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: srv.Dir})
	if err := app.Bootstrap(); err != nil {
		return nil, nil, fmt.Errorf("open the data dir in process: %w", err)
	}
	defer app.ResetBootstrapState()

	s, err := sampleData(app)
	if err != nil {
		return nil, nil, err
	}
	r := &schedulingReport{}
	if err := r.measureCheck(app, s, cfg.checks); err != nil {
		return nil, nil, err
	}

	check := checkConflictsEndpoint(srv, admin, s)
	slots := timeslotsEndpoint(srv, s)
	week := weekViewEndpoint(srv, admin, s)

	logf("scheduling: check-conflicts with alternatives at %.0f req/s", cfg.checkRate)
	st := attack(check, cfg.checkRate, cfg.schedFor)
	r.add("check-conflicts with alternatives", check, fmt.Sprintf("%.0f", st.Rate), st, "")
	settle(time.Second)
	r.addCapacity("Capacity: check-conflicts", check, capacity(check, within, cfg.search), baselineRate)
	settle(time.Second)

	logf("scheduling: public timeslots, 30 days, all teachers, at %.0f req/s", cfg.atLoadRate)
	st = attack(slots, cfg.atLoadRate, cfg.schedFor)
	r.add(fmt.Sprintf("Public timeslots, 30 days, all teachers (%.0f req/s)", cfg.atLoadRate), slots, fmt.Sprintf("%.0f", st.Rate), st,
		verdict(st.Metrics.Latencies.P95 <= targetTimeslotsP95, "p95 ≤ 20 ms"))
	settle(time.Second)
	r.addCapacity("Capacity: public timeslots", slots, capacity(slots, within, cfg.search), baselineRate)
	settle(time.Second)

	logf("scheduling: week view (admin) at %.0f req/s", cfg.weekRate)
	st = attack(week, cfg.weekRate, cfg.schedFor)
	r.add("Schedule view, one teacher's week (admin)", week, fmt.Sprintf("%.0f", st.Rate), st,
		verdict(st.Metrics.Latencies.P95 <= targetWeekP95, "p95 ≤ 10 ms"))
	settle(time.Second)
	r.addCapacity("Capacity: week view", week, capacity(week, within, cfg.search), baselineRate)
	return r, []endpoint{check, slots, week}, nil
}

func (r *schedulingReport) add(test string, e endpoint, rate string, s step, result string) {
	r.Rows = append(r.Rows, schedulingRow{Test: test, Path: e.Path, Rate: rate, Step: s, Result: result})
	logStep(e, s, true)
}

func (r *schedulingReport) addCapacity(test string, e endpoint, s step, baselineRate float64) {
	result := "no baseline figure"
	if baselineRate > 0 {
		ratio := sustained(s) / baselineRate
		result = fmt.Sprintf("%.2f× the built-in list's capacity (%s)", ratio, verdict(ratio >= targetRatio, "≥ 1×"))
	}
	r.add(test, e, capacityRate(s), s, result)
	r.Rows[len(r.Rows)-1].Name = e.Name
}

// measureCheck times lessons.CheckLesson (the rules a lesson save runs, with
// their queries) on lessons a week after real ones: the same teacher and
// student, so every rule has rows to look at.
func (r *schedulingReport) measureCheck(app core.App, s sample, n int) error {
	collection, err := app.FindCollectionByNameOrId("lessons")
	if err != nil {
		return err
	}
	var rows []struct {
		Teacher    string `db:"teacher"`
		Student    string `db:"student"`
		Instrument string `db:"instrument"`
		Start      string `db:"start"`
	}
	if err := app.DB().Select("teacher", "student", "instrument", "start").From("lessons").
		Where(dbx.NewExp("status = 'scheduled'")).OrderBy("random()").Limit(int64(n)).All(&rows); err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no scheduled lessons in the bench data")
	}
	logf("scheduling: in-process conflict check on %d lessons", len(rows))
	durations := make([]time.Duration, 0, len(rows))
	if *checkProfile != "" {
		f, err := os.Create(*checkProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for _, row := range rows {
		start, err := time.Parse("2006-01-02 15:04:05.000Z", row.Start)
		if err != nil {
			return err
		}
		start = start.AddDate(0, 0, 7).Add(30 * time.Minute)
		l := core.NewRecord(collection)
		l.Set("teacher", row.Teacher)
		l.Set("student", row.Student)
		l.Set("instrument", row.Instrument)
		l.Set("start", start)
		l.Set("end", start.Add(30*time.Minute))
		l.Set("kind", "regular")
		l.Set("status", "scheduled")
		began := time.Now()
		conflicts, err := lessons.CheckLesson(app, l)
		durations = append(durations, time.Since(began))
		if err != nil {
			return err
		}
		if len(conflicts) > 0 {
			r.CheckConflicting++
		}
	}
	if *checkProfile != "" {
		pprof.StopCPUProfile()
	}
	var existing []*core.Record
	if err := app.RecordQuery(collection).AndWhere(dbx.NewExp("status != 'cancelled'")).OrderBy("random()").Limit(int64(n)).All(&existing); err != nil {
		return err
	}
	for _, l := range existing {
		conflicts, err := lessons.CheckLesson(app, l)
		if err != nil {
			return err
		}
		r.Existing++
		if len(conflicts) > 0 {
			r.ExistingConflicting++
			logf("scheduling: existing lesson %s breaks the calendar: %+v", l.Id, conflicts)
		}
	}
	slices.Sort(durations)
	at := func(q float64) time.Duration { return durations[min(len(durations)-1, int(q*float64(len(durations))))] }
	r.CheckCount, r.CheckP50, r.CheckP95, r.CheckP99 = len(durations), at(0.50), at(0.95), at(0.99)
	return nil
}

func sampleData(app core.App) (sample, error) {
	var s sample
	teachers, err := app.FindRecordsByFilter("teachers", "public = true && active = true", "", 0, 0)
	if err != nil || len(teachers) == 0 {
		return s, fmt.Errorf("no public teachers in the bench data (%v)", err)
	}
	counts := map[string]int{}
	for _, t := range teachers {
		s.teachers = append(s.teachers, t.Id)
		for _, i := range t.GetStringSlice("instruments") {
			counts[i]++
		}
	}
	for i, n := range counts { // the instrument most teachers teach: the widest search
		if n > counts[s.instrument] {
			s.instrument = i
		}
	}
	if err := app.DB().Select("id").From("students").Where(dbx.NewExp("deleted = ''")).Limit(200).Column(&s.students); err != nil {
		return s, err
	}
	d := time.Now().UTC().AddDate(0, 0, 14)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	s.lessonStart = time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, time.UTC)
	return s, nil
}

func checkConflictsEndpoint(srv server, admin string, s sample) endpoint {
	e := endpoint{Name: "check-conflicts", Path: "POST /api/v1/lessons/check-conflicts"}
	h := http.Header{"Content-Type": []string{"application/json"}, "Authorization": []string{admin}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		body := fmt.Sprintf(`{"teacher":%q,"student":%q,"start":%q,"minutes":30,"limit":5}`,
			s.teachers[rng.IntN(len(s.teachers))], s.students[rng.IntN(len(s.students))],
			s.lessonStart.AddDate(0, 0, 7*rng.IntN(8)).Add(time.Duration(rng.IntN(8))*30*time.Minute).Format(time.RFC3339))
		e.Targets = append(e.Targets, vegeta.Target{Method: http.MethodPost, URL: srv.Base + "/api/v1/lessons/check-conflicts", Body: []byte(body), Header: h})
	}
	return e
}

func timeslotsEndpoint(srv server, s sample) endpoint {
	from := time.Now().UTC().AddDate(0, 0, 1)
	path := fmt.Sprintf("/api/v1/public/timeslots?instrument=%s&minutes=30&from=%s&to=%s",
		s.instrument, from.Format(time.DateOnly), from.AddDate(0, 0, 29).Format(time.DateOnly))
	return endpoint{Name: "public timeslots", Path: path, Targets: []vegeta.Target{{Method: http.MethodGet, URL: srv.Base + path}}}
}

// weekViewEndpoint is a teacher's week as the office opens it (admin
// token, teacher filter): all 50 teachers' week would be a 1 MB answer.
func weekViewEndpoint(srv server, admin string, s sample) endpoint {
	path := "/api/v1/lessons/schedule/view?view=week&teacher=" + s.teachers[0] + "&date=" + time.Now().UTC().AddDate(0, 0, 7).Format(time.DateOnly)
	h := http.Header{"Authorization": []string{admin}}
	return endpoint{Name: "week view", Path: path, Targets: []vegeta.Target{{Method: http.MethodGet, URL: srv.Base + path, Header: h}}}
}

// markdown renders the scheduling table; load (nil for -check-only) holds
// the closed-loop figures and their baseline.
func (r *schedulingReport) markdown(load *report) string {
	var b []byte
	cells := func(name string) string { return "— | — | —" }
	head := "| Test | Endpoint | Rate (req/s) | p50 ms | p95 ms | p99 ms | Success | Result | | | |\n|---|---|---:|---:|---:|---:|---:|---|---|---|---|\n"
	if load != nil {
		cells, head = load.closedCells, tableHead(load.ClosedPlan)
	}
	b = fmt.Appendf(b, "\n#### Scheduling (same run, same data)\n\n%s", head)
	b = fmt.Appendf(b, "| In-process conflict check (`lessons.CheckLesson`: queries + every rule), %d lessons, %d with conflicts | — | one at a time | %.3f | %.3f | %.3f | — | %s | %s |\n",
		r.CheckCount, r.CheckConflicting, ms(r.CheckP50), ms(r.CheckP95), ms(r.CheckP99), verdict(r.CheckP99 <= targetCheckP99, "p99 ≤ 1 ms"), cells(""))
	b = fmt.Appendf(b, "| The same check on %d lessons already in the calendar (random, not cancelled) | — | — | — | — | — | — | %d conflicting | %s |\n",
		r.Existing, r.ExistingConflicting, cells(""))
	for _, row := range r.Rows {
		b = fmt.Appendf(b, "| %s | `%s` | %s | %.2f | %.2f | %.2f | %.2f%% | %s | %s |\n",
			row.Test, row.Path, row.Rate, row.Step.P50(), row.Step.P95(), row.Step.P99(), 100*row.Step.Metrics.Success, row.Result, cells(row.Name))
	}
	return string(b)
}

// checkOnlyRun times the in-process conflict check on a loaded data dir,
// without a server: a quick look at one figure of a big data set.
func checkOnlyRun(cfg config) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: cfg.dataDir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	s, err := sampleData(app)
	if err != nil {
		return err
	}
	r := &schedulingReport{}
	if err := r.measureCheck(app, s, cfg.checks); err != nil {
		return err
	}
	fmt.Print(r.markdown(nil))
	return nil
}

// checkProfile, with -check-only, writes a CPU profile of the timed checks.
var checkProfile = flag.String("check-profile", "", "with -check-only (-warm-time): write a CPU profile of the in-process conflict checks (the warm-up) to this file")
