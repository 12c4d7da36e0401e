package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"
	"golang.org/x/crypto/bcrypt"

	"cedarheights/notify"
)

// demoBatch is how many records one transaction writes: large enough that
// commits do not dominate, small enough that the database never stays
// locked for long.
const demoBatch = 500

// academySettings are the parts of the academy record the demo depends on.
type academySettings struct {
	Zone          *time.Location
	Currency      string
	BufferMinutes int
}

func loadAcademySettings(app core.App) (academySettings, error) {
	s := academySettings{Zone: time.UTC, Currency: "cad", BufferMinutes: 10}
	records, err := app.FindRecordsByFilter("academy", "", "created", 1, 0)
	if err != nil {
		return s, fmt.Errorf("academy settings: %w", err)
	}
	if len(records) == 0 {
		return s, errors.New("academy settings: no record (have the migrations run?)")
	}
	r := records[0]
	zone, err := time.LoadLocation(r.GetString("timezone"))
	if err != nil {
		return s, fmt.Errorf("academy settings: time zone %q: %w", r.GetString("timezone"), err)
	}
	s.Zone = zone
	if c := r.GetString("currency"); c != "" {
		s.Currency = c
	}
	s.BufferMinutes = r.GetInt("buffer_minutes")
	return s, nil
}

// demoResult counts what one run wrote and found, per collection.
type demoResult struct {
	Created  map[string]int
	Existing map[string]int
	Elapsed  time.Duration
}

// demoLoader writes a demoPlan. Every row has a deterministic key (an
// email, a name, a student and start time…); rows whose key exists are left
// untouched, so a second run changes nothing.
type demoLoader struct {
	app      core.App
	plan     *demoPlan
	settings academySettings
	out      io.Writer
	begun    time.Time
	hash     string // bcrypt hash of demoPassword
	result   demoResult
	// noBulk writes a grid's lessons through Save like every other size's
	// (the tests compare the two).
	noBulk bool

	// ids by key, filled phase by phase
	instrumentIds, userIds, teacherIds, priceIds, studentIds, enrollmentIds map[string]string
}

// loadDemo writes the academy of the given size into app, with the term
// containing anchor (or the next one), then what the academy has been
// doing (make-up credits, payments, workflow runs). Record hooks (audit
// log, validation, the calendar rules) run on every write as they do for
// the API. It starts app's workflow engine; the caller stops it.
func loadDemo(app core.App, size demoSize, anchor time.Time, out io.Writer) (*demoPlan, demoResult, error) {
	l, err := newDemoLoader(app, size, anchor, out)
	if err != nil {
		return nil, demoResult{}, err
	}
	fmt.Fprintf(out, "Loading the %q academy (time zone %s, lessons from %s for %d weeks)\n",
		size.Name, l.settings.Zone, l.plan.TermStart.Format(time.DateOnly), size.Weeks)

	for _, phase := range []func() error{
		l.instruments, l.users, l.teachers, l.availability, l.prices, l.closures,
		l.students, l.enrollments, l.lessons, l.makeups, l.payments, l.workflowRuns,
	} {
		if err := retryBusy(phase); err != nil {
			return l.plan, l.result, err
		}
	}
	l.result.Elapsed = time.Since(l.begun)
	return l.plan, l.result, nil
}

// newDemoLoader plans the academy of size for app.
func newDemoLoader(app core.App, size demoSize, anchor time.Time, out io.Writer) (*demoLoader, error) {
	settings, err := loadAcademySettings(app)
	if err != nil {
		return nil, err
	}
	// One hash for every demo account: bcrypt costs ~80 ms, which would
	// turn 3,000 families into minutes. Sharing a salt is fine for demo
	// accounts with a published password.
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	return &demoLoader{
		app:      app,
		plan:     newDemoPlan(size, settings.Zone, anchor, time.Now(), settings.BufferMinutes),
		settings: settings,
		out:      out,
		begun:    time.Now(),
		hash:     string(hash),
		result:   demoResult{Created: map[string]int{}, Existing: map[string]int{}},
	}, nil
}

// demoRow is one record to write unless its key exists.
type demoRow struct {
	key  string
	data map[string]any
	user *demoUser // auth records: email and the shared password
	// lessonSeed, for lessons, varies which past lesson was missed.
	lessonSeed int
}

// keyed loads the ids of collection's records by key, keyFn building the
// key from the listed columns.
func (l *demoLoader) keyed(collection string, keyFn func(dbx.NullStringMap) string, columns ...string) (map[string]string, error) {
	var rows []dbx.NullStringMap
	if err := l.app.DB().Select(append([]string{"id"}, columns...)...).From(collection).All(&rows); err != nil {
		return nil, fmt.Errorf("read %s: %w", collection, err)
	}
	ids := make(map[string]string, len(rows))
	for _, r := range rows {
		ids[keyFn(r)] = r["id"].String
	}
	return ids, nil
}

func column(name string) func(dbx.NullStringMap) string {
	return func(r dbx.NullStringMap) string { return r[name].String }
}

func columns(names ...string) func(dbx.NullStringMap) string {
	return func(r dbx.NullStringMap) string {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = r[n].String
		}
		return strings.Join(parts, "|")
	}
}

// insertMissing saves the rows whose key is not in ids, demoBatch records
// per transaction, and adds their new ids to ids.
func (l *demoLoader) insertMissing(phase, collection string, ids map[string]string, rows []demoRow) error {
	started := time.Now()
	col, err := l.app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	var missing []demoRow
	for _, r := range rows {
		if _, ok := ids[r.key]; !ok {
			missing = append(missing, r)
		}
	}
	existing := len(rows) - len(missing)
	lastReport := time.Now()
	for from := 0; from < len(missing); from += demoBatch {
		batch := missing[from:min(from+demoBatch, len(missing))]
		created := make([]*core.Record, 0, len(batch))
		err := l.app.RunInTransaction(func(txApp core.App) error {
			created = created[:0]
			for _, row := range batch {
				r := core.NewRecord(col)
				r.Load(row.data)
				if row.user != nil {
					r.SetEmail(row.user.Email)
					r.SetRaw("password", &core.PasswordFieldValue{Hash: l.hash})
					r.SetVerified(true)
				}
				if collection == "lessons" {
					notify.Quietly(r) // the demo's term is not news to mail about
				}
				if collection == "lessons" && r.GetString("status") == "scheduled" {
					// A long load can overtake a lesson planned as upcoming;
					// the calendar refuses scheduled lessons in the past.
					r.Set("status", pastStatus(r.GetDateTime("start").Time(), time.Now(), row.lessonSeed))
				}
				if err := txApp.Save(r); err != nil {
					return fmt.Errorf("%s %s: %w%s", collection, row.key, err, errorDetail(err))
				}
				created = append(created, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, r := range created {
			ids[batch[i].key] = r.Id
		}
		if time.Since(lastReport) > 5*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(l.out, "  %-13s %7d / %d written  (%s)\n", phase, from+len(batch), len(missing), l.since())
		}
	}
	l.result.Created[collection] += len(missing)
	l.result.Existing[collection] += existing
	fmt.Fprintf(l.out, "  %-13s %7d created %7d existing  %7s  (total %s)\n",
		phase, len(missing), existing, time.Since(started).Round(time.Millisecond), l.since())
	return nil
}

func (l *demoLoader) since() time.Duration { return time.Since(l.begun).Round(100 * time.Millisecond) }

// Phases, in dependency order. Each keeps the ids it needs later.

func (l *demoLoader) instruments() error {
	ids, err := l.keyed("instruments", column("name"), "name")
	if err != nil {
		return err
	}
	rows := make([]demoRow, 0, len(l.plan.Instruments))
	for _, in := range l.plan.Instruments {
		rows = append(rows, demoRow{key: in.Name, data: map[string]any{"name": in.Name, "min_age": in.MinAge, "active": true}})
	}
	l.instrumentIds = ids
	return l.insertMissing("instruments", "instruments", ids, rows)
}

func (l *demoLoader) users() error {
	ids, err := l.keyed("users", column("email"), "email")
	if err != nil {
		return err
	}
	accounts := []demoUser{l.plan.Admin}
	for _, t := range l.plan.Teachers {
		accounts = append(accounts, t.User)
	}
	accounts = append(accounts, l.plan.Families...)
	rows := make([]demoRow, 0, len(accounts))
	for i := range accounts {
		u := &accounts[i]
		data := map[string]any{"name": u.Name, "role": u.Role, "timezone": l.settings.Zone.String()}
		if u.Phone != "" {
			data["phone"] = u.Phone
		}
		rows = append(rows, demoRow{key: u.Email, data: data, user: u})
	}
	l.userIds = ids
	return l.insertMissing("users", "users", ids, rows)
}

func (l *demoLoader) teachers() error {
	ids, err := l.keyed("teachers", column("user"), "user")
	if err != nil {
		return err
	}
	rows := make([]demoRow, 0, len(l.plan.Teachers))
	for _, t := range l.plan.Teachers {
		lengths := make([]string, len(t.Lengths))
		for i, m := range t.Lengths {
			lengths[i] = strconv.Itoa(m)
		}
		user := l.userIds[t.User.Email]
		rows = append(rows, demoRow{key: user, data: map[string]any{
			"user": user, "display_name": t.DisplayName, "bio": t.Bio,
			"instruments": l.instrumentIdsOf(t.Instruments...), "lesson_lengths": lengths,
			"capacity": t.Capacity, "levels": t.Levels, "public": t.Public, "active": true,
		}})
	}
	l.teacherIds = ids
	return l.insertMissing("teachers", "teachers", ids, rows)
}

func (l *demoLoader) teacherId(i int) string {
	return l.teacherIds[l.userIds[l.plan.Teachers[i].User.Email]]
}

func (l *demoLoader) availability() error {
	ids, err := l.keyed("availability", columns("teacher", "weekday", "start_time"), "teacher", "weekday", "start_time")
	if err != nil {
		return err
	}
	var rows []demoRow
	for i, t := range l.plan.Teachers {
		teacher := l.teacherId(i)
		for _, w := range t.Windows {
			rows = append(rows, demoRow{
				key:  fmt.Sprintf("%s|%d|%s", teacher, w.Weekday, w.Start),
				data: map[string]any{"teacher": teacher, "weekday": int(w.Weekday), "start_time": w.Start.String(), "end_time": w.End.String()},
			})
		}
	}
	return l.insertMissing("availability", "availability", ids, rows)
}

func (l *demoLoader) prices() error {
	ids, err := l.keyed("pricing_plans", column("name"), "name")
	if err != nil {
		return err
	}
	var rows []demoRow
	for _, p := range l.plan.Prices {
		rows = append(rows, demoRow{key: p.Name, data: map[string]any{
			"name": p.Name, "lesson_minutes": p.Minutes, "lessons_per_period": p.Lessons, "interval": p.Interval,
			"amount": p.Amount, "currency": l.settings.Currency, "public": p.Public, "active": true,
		}})
	}
	l.priceIds = ids
	return l.insertMissing("pricing plans", "pricing_plans", ids, rows)
}

func (l *demoLoader) closures() error {
	ids, err := l.keyed("closures", column("name"), "name")
	if err != nil {
		return err
	}
	var rows []demoRow
	for _, c := range l.plan.Closures {
		// end is the instant the academy reopens: midnight after the last day.
		rows = append(rows, demoRow{key: c.Name, data: map[string]any{
			"name": c.Name, "start": localMidnight(c.From, l.plan.Zone), "end": localMidnight(c.To.AddDate(0, 0, 1), l.plan.Zone),
		}})
	}
	return l.insertMissing("closures", "closures", ids, rows)
}

func (l *demoLoader) studentKey(s demoStudent) string {
	return l.userIds[l.plan.Families[s.Family].Email] + "|" + s.First + "|" + s.Last
}

func (l *demoLoader) students() error {
	ids, err := l.keyed("students", columns("parent", "first_name", "last_name"), "parent", "first_name", "last_name")
	if err != nil {
		return err
	}
	rows := make([]demoRow, 0, len(l.plan.Students))
	for i, s := range l.plan.Students {
		data := map[string]any{
			"parent": l.userIds[l.plan.Families[s.Family].Email], "first_name": s.First, "last_name": s.Last,
			"birth_date": s.BirthDate, "instruments": l.instrumentIdsOf(s.Instrument), "level": s.Level, "status": s.Status,
		}
		if s.Teacher >= 0 {
			data["preferred_teacher"] = l.teacherId(s.Teacher)
		}
		if i%9 == 4 {
			data["notes"] = "Prefers lessons right after school."
		}
		if s.Deleted {
			data["deleted"] = localMidnight(l.plan.TermStart.AddDate(0, 0, -30), l.plan.Zone)
		}
		rows = append(rows, demoRow{key: l.studentKey(s), data: data})
	}
	l.studentIds = ids
	return l.insertMissing("students", "students", ids, rows)
}

func (l *demoLoader) enrollments() error {
	ids, err := l.keyed("enrollments", columns("student", "teacher", "weekday", "start_time"), "student", "teacher", "weekday", "start_time")
	if err != nil {
		return err
	}
	var rows []demoRow
	for _, s := range l.plan.Students {
		student := l.studentIds[l.studentKey(s)]
		for _, placed := range s.Placements() {
			teacher := l.teacherId(placed.Teacher)
			rows = append(rows, demoRow{key: enrollmentKey(student, teacher, placed.Slot), data: map[string]any{
				"student": student, "teacher": teacher, "plan": l.priceIds[placed.Plan], "status": "active",
				"weekday": int(placed.Slot.Weekday), "start_time": placed.Slot.Start.String(), "start_date": l.plan.TermStart,
			}})
		}
	}
	l.enrollmentIds = ids
	return l.insertMissing("enrollments", "enrollments", ids, rows)
}

// enrollmentKey keys an enrollment by its student, teacher and weekly
// slot (a student of the grid has several with one teacher).
func enrollmentKey(student, teacher string, slot demoSlot) string {
	return fmt.Sprintf("%s|%s|%d|%s", student, teacher, slot.Weekday, slot.Start)
}

// enrollmentOf is the id of the student's enrollment for its own slot.
func (l *demoLoader) enrollmentOf(s demoStudent) string {
	return l.enrollmentIds[enrollmentKey(l.studentIds[l.studentKey(s)], l.teacherId(s.Teacher), *s.Slot)]
}

func (l *demoLoader) lessons() error {
	ids, err := l.keyed("lessons", columns("student", "start"), "student", "start")
	if err != nil {
		return err
	}
	if l.plan.Size.Grid != nil && !l.noBulk {
		return l.bulkLessons(ids)
	}
	var rows []demoRow
	l.eachLesson(func(row demoRow) { rows = append(rows, row) })
	return l.insertMissing("lessons", "lessons", ids, rows)
}

// eachLesson calls fn with every lesson of the plan, student by student.
func (l *demoLoader) eachLesson(fn func(demoRow)) {
	for i, s := range l.plan.Students {
		student := l.studentIds[l.studentKey(s)]
		for j, placed := range s.Placements() {
			teacher := l.teacherId(placed.Teacher)
			series := l.enrollmentIds[enrollmentKey(student, teacher, placed.Slot)]
			instrument := l.instrumentIds[placed.Instrument]
			for _, lesson := range l.plan.slotLessons(placed.Slot, i+1000*j) {
				fn(demoRow{key: student + "|" + dbDateTime(lesson.Start), lessonSeed: lesson.Seed, data: map[string]any{
					"teacher": teacher, "student": student, "instrument": instrument,
					"start": lesson.Start, "end": lesson.End, "kind": "regular", "status": lesson.Status, "series": series,
				}})
			}
		}
	}
}

// dbDateTime formats t as PocketBase stores dates, so keys built here
// match keys read back from the database.
func dbDateTime(t time.Time) string {
	d, _ := types.ParseDateTime(t)
	return d.String()
}

// errorDetail spells out the field errors of a refused write (validation
// or a calendar conflict), which the error's message alone does not name.
func errorDetail(err error) string {
	var api *router.ApiError
	if errors.As(err, &api) && len(api.Data) > 0 {
		b, _ := json.Marshal(api.Data)
		return " " + string(b)
	}
	return ""
}

func (l *demoLoader) instrumentIdsOf(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = l.instrumentIds[n]
	}
	return out
}
