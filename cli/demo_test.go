package cli

import (
	"bytes"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) {
	code := testapp.RunMain(m)
	if bare.dir != "" {
		os.RemoveAll(bare.dir)
	}
	os.Exit(code)
}

// vancouver has daylight saving: on 2026-11-01 clocks go back an hour.
var vancouver = mustZone("America/Vancouver")

// demoAnchor falls inside the fall 2026 term, which spans the DST change.
var demoAnchor = time.Date(2026, time.October, 20, 19, 0, 0, 0, time.UTC)

func mustZone(name string) *time.Location {
	zone, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return zone
}

// demoEngine is a quick engine without the hourly schedule, so that only
// the demo starts runs (the demo starts the engine; tests stop it).
var demoEngine = wiring.WithEngineOptions(workflows.Options{
	PollInterval: 50 * time.Millisecond, MailInterval: 100 * time.Millisecond, Lease: 5 * time.Second,
	ShutdownGrace: time.Second, NoSchedules: true,
})

// bare is an empty academy's data dir, migrated once per test binary:
// every bareApp is a copy of it rather than running the migrations again.
var bare struct {
	once sync.Once
	dir  string
	err  error
}

func bareTemplate(t *testing.T) string {
	t.Helper()
	bare.once.Do(func() {
		var app *tests.TestApp
		if app, bare.err = tests.NewTestApp(t.TempDir()); bare.err != nil {
			return
		}
		// Flush the WAL into the main files so copies see every row.
		for _, db := range []dbx.Builder{app.DB(), app.AuxDB()} {
			if _, err := db.NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil && bare.err == nil {
				bare.err = err
			}
		}
		bare.dir = app.DataDir() // NewTestApp's own copy, kept until TestMain ends
		app.ResetBootstrapState()
	})
	if bare.err != nil {
		t.Fatalf("empty academy template: %v", bare.err)
	}
	return bare.dir
}

// bareApp is an empty academy (migrations and the wiring, no fixtures) whose
// settings use zone, so that counts are exact.
func bareApp(t *testing.T, zone string) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(bareTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	// The demo starts the engine for its runs; a quick one without the
	// hourly schedule, so that only the demo starts runs.
	if err := wiring.Register(app, demoEngine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(workflows.EngineOf(app).Stop)
	records, err := app.FindRecordsByFilter("academy", "", "", 1, 0)
	if err != nil || len(records) != 1 {
		t.Fatalf("academy settings: %v (%d records)", err, len(records))
	}
	records[0].Set("timezone", zone)
	if err := app.Save(records[0]); err != nil {
		t.Fatal(err)
	}
	return app
}

// demoTables are the tables the demo writes to, directly or through the
// code it calls (hooks, billing, the workflow engine).
var demoTables = []string{"instruments", "users", "teachers", "availability", "pricing_plans", "closures", "students",
	"enrollments", "lessons", "audit_logs", "makeup_credits", "payments", "ledger_entries", "billing_notices",
	"workflow_runs", "workflow_steps", "workflow_events", "email_outbox"}

func counts(t *testing.T, app core.App) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range demoTables {
		var n int
		if err := app.DB().Select("COUNT(*)").From(c).Row(&n); err != nil {
			t.Fatalf("count %s: %v", c, err)
		}
		out[c] = n
	}
	return out
}

func TestLoadDemoIsCompleteAndIdempotent(t *testing.T) {
	t.Parallel()
	app := bareApp(t, "America/Vancouver")
	var log bytes.Buffer
	plan, first, err := loadDemo(app, demoSizes["demo"], demoAnchor, &log)
	if err != nil {
		t.Fatalf("first load: %v\n%s", err, log.String())
	}

	lessons := 0
	for i, s := range plan.Students {
		lessons += len(plan.Lessons(s, i))
	}
	// The timetable, plus what the enrollment workflow made: four new
	// families with a child each, eight enrollments and their trials.
	want := map[string]int{
		"instruments": 10, "users": 1 + 8 + 60 + 4, "teachers": 8, "availability": 32, "pricing_plans": 10,
		"closures": len(plan.Closures), "students": 100 + 4, "enrollments": plan.scheduled() + 8,
	}
	after := counts(t, app)
	for c, n := range want {
		if after[c] != n {
			t.Errorf("%s: %d in the database, want %d", c, after[c], n)
		}
	}
	for c, n := range map[string]int{"users": 69, "students": 100, "enrollments": plan.scheduled() + 8, "lessons": lessons} {
		if first.Created[c] != n {
			t.Errorf("%s: %d reported created, want %d", c, first.Created[c], n)
		}
	}
	var regular int
	if err := app.DB().Select("COUNT(*)").From("lessons").Where(dbx.HashExp{"kind": "regular"}).Row(&regular); err != nil || regular != lessons {
		t.Errorf("%d weekly lessons in the database, want %d (%v)", regular, lessons, err)
	}
	// The record hooks ran as they do for the API: every domain write is
	// audited.
	if after["audit_logs"] < after["lessons"]+after["students"] {
		t.Errorf("%d audit entries for %d lessons and %d students", after["audit_logs"], after["lessons"], after["students"])
	}
	var stale int
	if err := app.DB().NewQuery("SELECT COUNT(*) FROM lessons WHERE status = 'scheduled' AND start < {:now}").
		Bind(dbx.Params{"now": dbDateTime(time.Now())}).Row(&stale); err != nil || stale != 0 {
		t.Errorf("%d lessons scheduled in the past (%v)", stale, err)
	}
	if plan.scheduled() < 60 || lessons < 60*12 {
		t.Errorf("too thin a term: %d scheduled students, %d lessons", plan.scheduled(), lessons)
	}
	if len(plan.Closures) == 0 {
		t.Error("the fall term has no closures")
	}
	for _, phase := range []string{"users", "lessons"} {
		if !strings.Contains(log.String(), phase) {
			t.Errorf("no progress line for %s in\n%s", phase, log.String())
		}
	}

	// Second run: nothing new, nothing changed (audit entries included).
	log.Reset()
	_, second, err := loadDemo(app, demoSizes["demo"], demoAnchor.Add(72*time.Hour), &log)
	if err != nil {
		t.Fatalf("second load: %v\n%s", err, log.String())
	}
	for c, n := range second.Created {
		if n != 0 {
			t.Errorf("second run created %d %s", n, c)
		}
	}
	if again := counts(t, app); !equalCounts(after, again) {
		t.Errorf("second run changed counts: %v → %v", after, again)
	}
	if second.Existing["lessons"] != lessons {
		t.Errorf("second run found %d lessons, want %d", second.Existing["lessons"], lessons)
	}

	assertNoOverlaps(t, app)
	assertWallClock(t, app, vancouver)
	assertNoLessonOnClosures(t, app, plan)
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// assertNoOverlaps checks in SQL that no teacher and no student has two
// lessons at once (dates are stored as sortable UTC text). A cancelled
// lesson frees its time: a make-up may be booked into it.
func assertNoOverlaps(t *testing.T, app core.App) {
	t.Helper()
	for _, who := range []string{"teacher", "student"} {
		var n int
		err := app.DB().NewQuery(`SELECT COUNT(*) FROM lessons a JOIN lessons b
			ON a.` + who + ` = b.` + who + ` AND a.id < b.id AND a.start < b.end AND b.start < a.end
			WHERE a.status != 'cancelled' AND b.status != 'cancelled'`).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d overlapping lesson pairs for one %s", n, who)
		}
	}
}

// assertWallClock checks that each timetable enrollment's lessons all
// start at its weekly slot in the academy's zone, and that the term really
// crossed a daylight-saving change (two different UTC offsets). The
// enrollment workflow's enrollments (run set) have a trial lesson only.
func assertWallClock(t *testing.T, app core.App, zone *time.Location) {
	t.Helper()
	enrollments, err := app.FindAllRecords("enrollments", dbx.HashExp{"run": ""})
	if err != nil {
		t.Fatal(err)
	}
	offsets := map[int]bool{}
	for _, e := range enrollments {
		lessons, err := app.FindAllRecords("lessons", dbx.HashExp{"series": e.Id})
		if err != nil {
			t.Fatal(err)
		}
		if len(lessons) == 0 {
			t.Fatalf("enrollment %s has no lessons", e.Id)
		}
		for _, l := range lessons {
			local := l.GetDateTime("start").Time().In(zone)
			if int(local.Weekday()) != e.GetInt("weekday") || local.Format("15:04") != e.GetString("start_time") {
				t.Fatalf("lesson %s starts %s local, enrollment slot is day %d at %s",
					l.Id, local.Format(time.RFC3339), e.GetInt("weekday"), e.GetString("start_time"))
			}
			if l.GetString("student") != e.GetString("student") || l.GetString("teacher") != e.GetString("teacher") {
				t.Fatalf("lesson %s does not belong to its series' enrollment", l.Id)
			}
			_, off := local.Zone()
			offsets[off] = true
		}
	}
	if len(offsets) != 2 {
		t.Errorf("lessons span %d UTC offsets, want 2 (the term crosses the end of DST)", len(offsets))
	}
}

func assertNoLessonOnClosures(t *testing.T, app core.App, plan *demoPlan) {
	t.Helper()
	lessons, err := app.FindAllRecords("lessons")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lessons {
		day := civilDate(l.GetDateTime("start").Time().In(plan.Zone))
		if plan.closed(day) {
			t.Fatalf("lesson %s on closure day %s", l.Id, day.Format(time.DateOnly))
		}
	}
}

// The demo also loads beside an academy that already has data: records it
// would create under the same key (the fixture's Piano, Violin and
// "Monthly 30 min" plan) are reused, not duplicated.
func TestLoadDemoReusesExistingRecords(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t, demoEngine)
	t.Cleanup(workflows.EngineOf(app).Stop)
	before := counts(t, app)
	_, result, err := loadDemo(app, demoSizes["demo"], demoAnchor, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	after := counts(t, app)
	if got := after["instruments"] - before["instruments"]; got != 8 || result.Existing["instruments"] != 2 {
		t.Errorf("instruments: %d created, %d existing; want 8 and 2", got, result.Existing["instruments"])
	}
	if result.Existing["pricing_plans"] != 1 {
		t.Errorf("pricing plans found existing = %d, want 1 (Monthly 30 min)", result.Existing["pricing_plans"])
	}
	piano := testapp.Record(t, app, "instruments", f.Piano)
	students, err := app.FindAllRecords("students", dbx.NewExp("instruments LIKE {:id}", dbx.Params{"id": "%" + piano.Id + "%"}))
	if err != nil || len(students) < 2 {
		t.Fatalf("demo students do not use the existing Piano: %d found, %v", len(students), err)
	}
	assertNoOverlaps(t, app)
}

func TestDemoCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		wantErr string
		wantOut []string
	}{
		{name: "unknown size", args: []string{"--size", "huge"}, wantErr: `unknown --size "huge"`},
		{name: "extra argument", args: []string{"now"}, wantErr: "unknown command"},
		{name: "default size", args: nil, wantOut: []string{"admin@" + demoDomain, demoPassword, "superuser upsert", "lessons"}},
	}
	exitCode := -1
	realExit := demoExit
	demoExit = func(_ core.App, code int) { exitCode = code }
	t.Cleanup(func() { demoExit = realExit })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exitCode = -1
			app := bareApp(t, "UTC")
			cmd := newDemoCommand(app)
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(c.args)
			err := cmd.Execute()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
				// cobra refuses the extra argument before RunE runs; the
				// load's own failures end the process with status 1.
				if c.name == "unknown size" && exitCode != 1 {
					t.Fatalf("exit code = %d, want 1", exitCode)
				}
				if n, _ := app.CountRecords("students"); n != 0 {
					t.Fatalf("a failed command wrote %d students", n)
				}
				return
			}
			if err != nil || exitCode != -1 {
				t.Fatalf("%v (exit %d)\n%s", err, exitCode, out.String())
			}
			for _, s := range c.wantOut {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			if n, _ := app.CountRecords("students"); n != 104 {
				t.Errorf("students = %d, want 104 (100 and four new families' children)", n)
			}
		})
	}
}

// The benchmark plan is checked without a database: about 50k lessons, no
// teacher double-booked, every slot inside its teacher's availability.
func TestBenchPlan(t *testing.T) {
	t.Parallel()
	plan := newDemoPlan(demoSizes["bench"], vancouver, demoAnchor, demoAnchor, 10)
	if len(plan.Students) != 5000 || len(plan.Teachers) != 50 {
		t.Fatalf("%d students, %d teachers", len(plan.Students), len(plan.Teachers))
	}
	type span struct{ start, end time.Time }
	byTeacher := map[int][]span{}
	total := 0
	for i, s := range plan.Students {
		if s.Slot == nil {
			if s.Status == "active" {
				t.Fatalf("active student %d without a slot", i)
			}
			continue
		}
		if !inWindows(plan.Teachers[s.Teacher].Windows, *s.Slot) {
			t.Fatalf("student %d slot %+v outside its teacher's availability", i, *s.Slot)
		}
		if !slices.Contains(plan.Teachers[s.Teacher].Instruments, s.Instrument) {
			t.Fatalf("student %d learns %s from a teacher who does not teach it", i, s.Instrument)
		}
		for _, l := range plan.Lessons(s, i) {
			byTeacher[s.Teacher] = append(byTeacher[s.Teacher], span{l.Start, l.End})
			total++
		}
	}
	if total < 40_000 || total > 60_000 {
		t.Errorf("bench plan has %d lessons, want about 50k", total)
	}
	for teacher, spans := range byTeacher {
		sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
		for i := 1; i < len(spans); i++ {
			if spans[i].start.Before(spans[i-1].end.Add(10 * time.Minute)) {
				t.Fatalf("teacher %d: lesson at %s starts within the buffer of the one ending %s", teacher, spans[i].start, spans[i-1].end)
			}
		}
	}
}

func inWindows(windows []demoWindow, s demoSlot) bool {
	for _, w := range windows {
		if w.Weekday == s.Weekday && s.Start >= w.Start && int(s.Start)+s.Minutes <= int(w.End) {
			return true
		}
	}
	return false
}

func TestTermStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		today, want string
	}{
		{"2026-11-25", "2026-09-14"}, // inside the fall term
		{"2026-09-14", "2026-09-14"}, // its first day
		{"2026-09-01", "2026-09-14"}, // summer gap: the next term
		{"2027-01-20", "2027-01-11"}, // winter term
		{"2027-05-10", "2027-05-10"}, // summer term
		{"2026-12-30", "2027-01-11"}, // after the fall term ended
	}
	for _, c := range cases {
		today, _ := time.Parse(time.DateOnly, c.today)
		if got := termStart(today, 15).Format(time.DateOnly); got != c.want {
			t.Errorf("termStart(%s) = %s, want %s", c.today, got, c.want)
		}
	}
	today, _ := time.Parse(time.DateOnly, "2027-03-01")
	if got := schoolYearStart(today).Format(time.DateOnly); got != "2026-09-14" {
		t.Errorf("schoolYearStart = %s", got)
	}
}

func TestClosuresBetween(t *testing.T) {
	t.Parallel()
	from, _ := time.Parse(time.DateOnly, "2026-09-14")
	names := []string{}
	for _, c := range closuresBetween(from, from.AddDate(0, 0, 7*15-1)) {
		names = append(names, c.Name+" "+c.From.Format(time.DateOnly))
	}
	want := []string{"Thanksgiving 2026 2026-10-12", "Remembrance Day 2026 2026-11-11", "Winter break 2026–2027 2026-12-21"}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Errorf("closures = %v, want %v", names, want)
	}
}

// A lesson keeps its local time across the DST change; its UTC time moves.
func TestLessonsKeepWallClockAcrossDST(t *testing.T) {
	t.Parallel()
	plan := &demoPlan{Size: demoSize{Weeks: 2}, Zone: vancouver, Now: demoAnchor, TermStart: time.Date(2026, time.October, 26, 0, 0, 0, 0, time.UTC)}
	got := plan.Lessons(demoStudent{Slot: &demoSlot{Weekday: time.Monday, Start: 16 * 60, Minutes: 30}}, 1)
	want := []string{"2026-10-26T23:00:00Z", "2026-11-03T00:00:00Z"}
	if len(got) != 2 || got[0].Start.Format(time.RFC3339) != want[0] || got[1].Start.Format(time.RFC3339) != want[1] {
		t.Fatalf("lessons = %+v, want starts %v", got, want)
	}
	if got[0].Status != "scheduled" || got[1].End.Sub(got[1].Start) != 30*time.Minute {
		t.Fatalf("lesson = %+v", got[0])
	}
}
