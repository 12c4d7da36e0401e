package cli

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"

	"cedarheights/lessons"
)

// smallGrid is the scale academy's timetable at a size Save can write in
// a test: a school year, so that it has past lessons (completed, missed,
// cancelled) and upcoming ones.
var smallGrid = demoSize{Name: "grid-test", Teachers: 3, Families: 12, Students: 20, Weeks: 52, SchoolYear: true,
	Grid: &demoGrid{Places: 2, First: 15 * 60, Step: 70}}

// gridLoader has written everything a grid's lessons depend on.
func gridLoader(t *testing.T) (*demoLoader, core.App) {
	t.Helper()
	app := bareApp(t, "America/Vancouver")
	l, err := newDemoLoader(app, smallGrid, time.Now(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []func() error{l.instruments, l.users, l.teachers, l.availability, l.prices, l.closures, l.students, l.enrollments} {
		if err := phase(); err != nil {
			t.Fatal(err)
		}
	}
	return l, app
}

// snapshot is what a lessons phase left: every table's count, the lessons
// and their audit entries by lesson key (student|start), the students.
type snapshot struct {
	counts   map[string]int
	lessons  map[string]dbx.NullStringMap
	entries  map[string]dbx.NullStringMap
	students map[string]dbx.NullStringMap
}

func takeSnapshot(t *testing.T, app core.App) snapshot {
	t.Helper()
	s := snapshot{counts: counts(t, app), lessons: map[string]dbx.NullStringMap{}, entries: map[string]dbx.NullStringMap{},
		students: map[string]dbx.NullStringMap{}}
	var rows []dbx.NullStringMap
	if err := app.DB().Select("*").From("lessons").All(&rows); err != nil {
		t.Fatal(err)
	}
	keyOf := map[string]string{}
	for _, r := range rows {
		key := r["student"].String + "|" + r["start"].String
		if _, dup := s.lessons[key]; dup {
			t.Fatalf("two lessons %s", key)
		}
		s.lessons[key], keyOf[r["id"].String] = r, key
	}
	rows = nil
	if err := app.DB().Select("*").From("audit_logs").Where(dbx.HashExp{"collection": "lessons"}).All(&rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r["action"].String != "create" {
			continue // the make-up phase is not run here
		}
		s.entries[keyOf[r["record"].String]] = r
	}
	rows = nil
	if err := app.DB().Select("*").From("students").All(&rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		s.students[r["id"].String] = r
	}
	return s
}

var (
	recordID = regexp.MustCompile(`^[a-z0-9]{15}$`)
	dbDate   = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$`)
)

// compareRows compares two rows column by column; ids and the autodate
// columns differ between two writes (a new id, another now) and must only
// have the same shape; skip names columns whose value is another write's.
func compareRows(t *testing.T, what string, saved, bulk dbx.NullStringMap, skip ...string) {
	t.Helper()
	if len(saved) != len(bulk) {
		t.Fatalf("%s: %d columns saved, %d in bulk", what, len(saved), len(bulk))
	}
	for column, want := range saved {
		got, ok := bulk[column]
		switch {
		case !ok:
			t.Errorf("%s: no column %s in bulk", what, column)
		case column == "id":
			if !recordID.MatchString(got.String) || !recordID.MatchString(want.String) {
				t.Errorf("%s: id %q in bulk, %q saved", what, got.String, want.String)
			}
		case column == "created" || column == "updated":
			if !dbDate.MatchString(got.String) || !dbDate.MatchString(want.String) {
				t.Errorf("%s: %s %q in bulk, %q saved", what, column, got.String, want.String)
			}
		case slices.Contains(skip, column):
		case got != want:
			t.Errorf("%s: %s is %q in bulk, %q saved", what, column, got.String, want.String)
		}
	}
}

// TestBulkLessonsMatchSaves writes the grid's lessons both ways over the
// same academy — through Save (rolled back) and in bulk — and compares
// what they left: every table's count, each lesson column by column, each
// lesson's audit entry, the students (teacher_users and their updated
// time untouched by either).
func TestBulkLessonsMatchSaves(t *testing.T) {
	t.Parallel()
	l, app := gridLoader(t)

	var saved snapshot
	errRollback := errors.New("rolled back")
	err := app.RunInTransaction(func(tx core.App) error {
		l.app, l.noBulk = tx, true
		if err := l.lessons(); err != nil {
			return err
		}
		saved = takeSnapshot(t, tx)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	l.app, l.noBulk = app, false
	if n := counts(t, app)["lessons"]; n != 0 {
		t.Fatalf("%d lessons after the rollback", n)
	}
	if err := l.lessons(); err != nil {
		t.Fatal(err)
	}
	bulk := takeSnapshot(t, app)

	for table, n := range saved.counts {
		if bulk.counts[table] != n {
			t.Errorf("%s: %d rows after the bulk, %d after the saves", table, bulk.counts[table], n)
		}
	}
	statuses := map[string]int{}
	for key, want := range saved.lessons {
		got, ok := bulk.lessons[key]
		if !ok {
			t.Errorf("lesson %s not written in bulk", key)
			continue
		}
		statuses[want["status"].String]++
		// A cancellation is stamped with the time of its save.
		compareRows(t, "lesson "+key, want, got, "cancelled_at")
		skip := []string{"record"}
		if want["status"].String == "cancelled" {
			skip = append(skip, "changes") // holds cancelled_at
		}
		entry, ok := saved.entries[key]
		if !ok {
			t.Fatalf("lesson %s saved without its audit entry", key)
		}
		compareRows(t, "audit entry of "+key, entry, bulk.entries[key], skip...)
	}
	if len(bulk.lessons) != len(saved.lessons) {
		t.Errorf("%d lessons in bulk, %d saved", len(bulk.lessons), len(saved.lessons))
	}
	for _, status := range []string{"completed", "no_show", "cancelled", "scheduled"} {
		if statuses[status] == 0 {
			t.Errorf("no %s lesson compared (%v): the sample misses a case", status, statuses)
		}
	}
	for id, want := range saved.students {
		compareRows(t, "student "+id, want, bulk.students[id])
		if want["updated"] != bulk.students[id]["updated"] {
			t.Errorf("student %s: updated %q in bulk, %q saved", id, bulk.students[id]["updated"].String, want["updated"].String)
		}
	}
	assertNoOverlaps(t, app)
	assertCalendarAccepts(t, app, 0)
	assertIndexes(t, app) // the bulk dropped and rebuilt them

	// A load interrupted between dropping and rebuilding the indexes: the
	// next run puts them back (and writes nothing twice).
	if _, err := app.DB().NewQuery("DROP INDEX idx_lessons_teacher_start").Execute(); err != nil {
		t.Fatal(err)
	}
	if err := l.lessons(); err != nil {
		t.Fatal(err)
	}
	assertIndexes(t, app)
	if n := counts(t, app)["lessons"]; n != len(bulk.lessons) {
		t.Errorf("%d lessons after a second run, %d after the first", n, len(bulk.lessons))
	}
}

// assertIndexes checks that the database has every index the lessons and
// audit_logs collections declare.
func assertIndexes(t *testing.T, app core.App) {
	t.Helper()
	for _, name := range []string{"lessons", "audit_logs"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range c.Indexes {
			index := dbutils.ParseIndex(sql).IndexName
			var n int
			if err := app.DB().Select("COUNT(*)").From("sqlite_master").Where(dbx.HashExp{"type": "index", "name": index}).Row(&n); err != nil || n != 1 {
				t.Errorf("index %s of %s: %d in the database (%v)", index, name, n, err)
			}
		}
		if len(c.Indexes) == 0 {
			t.Errorf("%s declares no index", name)
		}
	}
}

// assertCalendarAccepts runs the app's own conflict check
// (lessons.CheckLesson, what a save runs) on the lessons that are not
// cancelled, every one, or a random sample of n.
func assertCalendarAccepts(t *testing.T, app core.App, n int) {
	t.Helper()
	q := app.RecordQuery("lessons").AndWhere(dbx.NewExp("status != 'cancelled'"))
	if n > 0 {
		q = q.OrderBy("random()").Limit(int64(n))
	}
	var records []*core.Record
	if err := q.All(&records); err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 {
		t.Fatal("no lessons to check")
	}
	for _, r := range records {
		conflicts, err := lessons.CheckLesson(app, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(conflicts) > 0 {
			t.Fatalf("lesson %s (%s, teacher %s, student %s) breaks the calendar: %+v", r.Id,
				r.GetDateTime("start"), r.GetString("teacher"), r.GetString("student"), conflicts)
		}
	}
}

// TestScalePlan checks the scale academy's grid without a database: 10,000
// lessons each day of the week, inside the teachers' windows, lengths
// they offer, instruments they teach, and never two at once for a teacher
// (buffer included) or a student.
func TestScalePlan(t *testing.T) {
	t.Parallel()
	size := demoSizes["scale"]
	p := newDemoPlan(size, vancouver, demoAnchor, demoAnchor, 10)
	perDay := map[time.Weekday]int{}
	type span struct{ start, end int }
	teacherDay := map[[2]int][]span{} // teacher, weekday
	studentDay := map[[2]int][]span{} // student, weekday
	enrollments := map[string]bool{}  // student|teacher|slot
	for i, s := range p.Students {
		for _, pl := range s.Placements() {
			tc := p.Teachers[pl.Teacher]
			perDay[pl.Slot.Weekday]++
			if !inWindows(tc.Windows, pl.Slot) {
				t.Fatalf("student %d: %+v outside teacher %d's windows", i, pl.Slot, pl.Teacher)
			}
			if !slices.Contains(tc.Lengths, pl.Slot.Minutes) || !slices.Contains(tc.Instruments, pl.Instrument) {
				t.Fatalf("student %d: %+v (%s) not offered by teacher %d", i, pl.Slot, pl.Instrument, pl.Teacher)
			}
			key := enrollmentKey(string(rune(i)), string(rune(pl.Teacher)), pl.Slot)
			if enrollments[key] {
				t.Fatalf("student %d has two enrollments %s", i, key)
			}
			enrollments[key] = true
			sp := span{int(pl.Slot.Start), int(pl.Slot.Start) + pl.Slot.Minutes}
			teacherDay[[2]int{pl.Teacher, int(pl.Slot.Weekday)}] = append(teacherDay[[2]int{pl.Teacher, int(pl.Slot.Weekday)}], sp)
			studentDay[[2]int{i, int(pl.Slot.Weekday)}] = append(studentDay[[2]int{i, int(pl.Slot.Weekday)}], sp)
		}
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if perDay[d] != 10_000 {
			t.Errorf("%s: %d lessons, want 10,000", d, perDay[d])
		}
	}
	overlap := func(spans []span, buffer int) bool {
		for i := range spans {
			for j := i + 1; j < len(spans); j++ {
				if spans[i].start < spans[j].end+buffer && spans[j].start < spans[i].end+buffer {
					return true
				}
			}
		}
		return false
	}
	for k, spans := range teacherDay {
		if overlap(spans, 10) {
			t.Fatalf("teacher %d, day %d: lessons closer than the buffer: %v", k[0], k[1], spans)
		}
	}
	for k, spans := range studentDay {
		if overlap(spans, 0) {
			t.Fatalf("student %d, day %d: two lessons at once: %v", k[0], k[1], spans)
		}
	}
	if len(p.Students) != 5000 || len(p.Teachers) != 1000 {
		t.Errorf("%d students, %d teachers", len(p.Students), len(p.Teachers))
	}
}
