package freetime_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/internal/testapp"
	"cedarheights/lessons"
	"cedarheights/scheduling"
	"cedarheights/wiring"
)

// TestCachedFreeTimeMatchesAFreshDerivation writes at random through every
// path a row can change by — Go saves, transactions that roll back, raw
// SQL that no hook sees, the record API and the batch API (one batch that
// commits, one that fails and rolls back) — and after each write compares
// the cache's answers (filled before the write, so a stale entry would be
// served) with the calendars loaded afresh, and the public timeslots an
// anonymous visitor gets (kept answers) with the ones derived for a
// signed-in caller (never kept).
func TestCachedFreeTimeMatchesAFreshDerivation(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	app.Settings().Batch.Enabled = true
	app.Settings().Batch.MaxRequests = 10
	srv := testapp.Serve(t, app)
	cache := freetime.For(app)
	if !cache.Active(app) {
		t.Fatal("the wiring registers no free-time cache, or the migration left a table without its triggers")
	}
	rng := rand.New(rand.NewPCG(14, 1))
	monday := testapp.NextMonday() // 16:00 UTC; X teaches Mondays 15–19, Y Wednesdays 10–14
	day := time.Date(monday.Year(), monday.Month(), monday.Day(), 0, 0, 0, 0, time.UTC)
	teachers := []string{f.TeacherX, f.TeacherY}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	queries := []scheduling.SlotQuery{
		{From: day, To: day.AddDate(0, 0, 21), Minutes: 30, Step: 15 * time.Minute},
		{From: day.AddDate(0, 0, 7).Add(15*time.Hour + 30*time.Minute), To: day.AddDate(0, 0, 10), Minutes: 45, Step: 30 * time.Minute},
		{From: today, To: today.AddDate(0, 0, 31), Minutes: 60},
	}
	timeslots := fmt.Sprintf("/api/v1/public/timeslots?instrument=%s&from=%s&to=%s&minutes=30&step=15",
		f.Piano, day.Format(time.DateOnly), day.AddDate(0, 0, 20).Format(time.DateOnly))

	call := func(method, path, token string, body any) (int, []byte) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	compare := func(step int, what string) {
		t.Helper()
		settings, err := academy.Load(app)
		if err != nil {
			t.Fatal(err)
		}
		// The calendars check-conflicts reads (profiles and closures kept,
		// lessons read afresh) judge every request as the write path's do.
		for range 6 {
			req := request(rng, f, day)
			scope := lessons.CalendarScope{Teachers: []string{req.Teacher}, Student: req.Student, Room: req.Room, Span: req.Interval()}
			got, err := cache.Calendars(app, settings, scope)
			if err != nil {
				t.Fatal(err)
			}
			want, err := lessons.LoadCalendars(app, settings, scope)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := conflictSet(got[req.Teacher].Check(req)), conflictSet(want[req.Teacher].Check(req)); !reflect.DeepEqual(g, w) {
				t.Fatalf("step %d (%s): %+v: cached calendar finds %v, fresh %v", step, what, req, g, w)
			}
		}
		for qi, q := range queries {
			cached, err := cache.Slots(app, settings, teachers, q)
			if err != nil {
				t.Fatal(err)
			}
			want := fresh(t, app, settings, teachers, q)
			for _, id := range teachers {
				if !reflect.DeepEqual(normal(cached[id]), normal(want[id])) {
					t.Fatalf("step %d (%s), query %d, teacher %s: cached %v, fresh %v", step, what, qi, id, cached[id], want[id])
				}
			}
		}
		_, kept := call(http.MethodGet, timeslots, "", nil)
		_, derived := call(http.MethodGet, timeslots, f.Admin.Token, nil)
		if !bytes.Equal(kept, derived) {
			t.Fatalf("step %d (%s): kept timeslots answer %s, derived afresh %s", step, what, kept, derived)
		}
	}

	lessonAt := func(c *core.Collection) *core.Record {
		l := core.NewRecord(c)
		teacher, student, instrument := f.TeacherX, f.StudentA1, f.Piano
		start := day.AddDate(0, 0, 7*rng.IntN(3)).Add(15*time.Hour + time.Duration(rng.IntN(12))*15*time.Minute)
		if rng.IntN(2) == 0 {
			teacher, student, instrument = f.TeacherY, f.StudentB1, f.Violin
			start = day.AddDate(0, 0, 2+7*rng.IntN(3)).Add(10*time.Hour + time.Duration(rng.IntN(12))*15*time.Minute)
		}
		l.Load(map[string]any{"teacher": teacher, "student": student, "instrument": instrument, "start": start,
			"end": start.Add(30 * time.Minute), "kind": "regular", "status": "scheduled"})
		return l
	}
	someRow := func(collection string) *core.Record {
		rows, err := app.FindAllRecords(collection)
		if err != nil || len(rows) == 0 {
			return nil
		}
		return rows[rng.IntN(len(rows))]
	}
	lessonsCollection, err := app.FindCollectionByNameOrId("lessons")
	if err != nil {
		t.Fatal(err)
	}
	su := f.Superuser.Token

	writes := []struct {
		name  string
		write func()
	}{
		{"save a lesson", func() { _ = app.Save(lessonAt(lessonsCollection)) }},
		{"move a lesson", func() {
			if l := someRow("lessons"); l != nil {
				start := l.GetDateTime("start").Time().Add(time.Duration(rng.IntN(5)-2) * 15 * time.Minute)
				l.Set("start", start)
				l.Set("end", start.Add(30*time.Minute))
				_ = app.Save(l)
			}
		}},
		{"cancel a lesson", func() {
			if l := someRow("lessons"); l != nil {
				l.Set("status", "cancelled")
				l.Set("cancelled_by", "academy")
				_ = app.Save(l)
			}
		}},
		{"delete a lesson", func() {
			if l := someRow("lessons"); l != nil {
				_ = app.Delete(l)
			}
		}},
		{"a transaction that rolls back", func() {
			_ = app.RunInTransaction(func(tx core.App) error {
				if err := tx.Save(lessonAt(lessonsCollection)); err != nil {
					return err
				}
				if o := someRow("time_off"); o != nil {
					if err := tx.Delete(o); err != nil {
						return err
					}
				}
				return errors.New("roll back")
			})
		}},
		{"raw SQL moves a lesson", func() {
			if l := someRow("lessons"); l != nil {
				start := l.GetDateTime("start").Time().Add(time.Duration(rng.IntN(9)-4) * 15 * time.Minute)
				_, err := app.DB().NewQuery("UPDATE lessons SET start = {:start}, end = {:end} WHERE id = {:id}").Bind(map[string]any{
					"start": start.Format("2006-01-02 15:04:05.000Z"), "end": start.Add(45 * time.Minute).Format("2006-01-02 15:04:05.000Z"), "id": l.Id,
				}).Execute()
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"raw SQL narrows an availability window", func() {
			if w := someRow("availability"); w != nil {
				_, err := app.DB().NewQuery("UPDATE availability SET end_time = {:end} WHERE id = {:id}").Bind(map[string]any{
					"end": []string{"17:00", "18:30", "19:00", "14:00"}[rng.IntN(4)], "id": w.Id,
				}).Execute()
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"record API: time off", func() {
			start := day.AddDate(0, 0, rng.IntN(20)).Add(time.Duration(8+rng.IntN(10)) * time.Hour)
			call(http.MethodPost, "/api/collections/time_off/records", su, map[string]any{
				"teacher": teachers[rng.IntN(2)], "start": start, "end": start.Add(time.Duration(1+rng.IntN(4)) * time.Hour), "reason": "errand"})
		}},
		{"record API: delete time off", func() {
			if o := someRow("time_off"); o != nil {
				call(http.MethodDelete, "/api/collections/time_off/records/"+o.Id, su, nil)
			}
		}},
		{"batch API: a lesson and a closure", func() {
			l := lessonAt(lessonsCollection)
			start := day.AddDate(0, 0, rng.IntN(20))
			status, body := call(http.MethodPost, "/api/batch", su, map[string]any{"requests": []map[string]any{
				{"method": "POST", "url": "/api/collections/lessons/records", "body": l.FieldsData()},
				{"method": "POST", "url": "/api/collections/closures/records", "body": map[string]any{"name": "Snow day", "start": start, "end": start.Add(24 * time.Hour)}},
			}})
			if status >= 500 {
				t.Fatalf("batch: %d %s", status, body)
			}
		}},
		{"batch API that fails and rolls back", func() {
			start := day.AddDate(0, 0, rng.IntN(20))
			status, body := call(http.MethodPost, "/api/batch", su, map[string]any{"requests": []map[string]any{
				{"method": "POST", "url": "/api/collections/closures/records", "body": map[string]any{"name": "Never", "start": start, "end": start.Add(24 * time.Hour)}},
				{"method": "POST", "url": "/api/collections/time_off/records", "body": map[string]any{"teacher": "nobody"}},
			}})
			if status < 400 || status >= 500 {
				t.Fatalf("the failing batch answered %d %s", status, body)
			}
		}},
		{"record API: availability", func() {
			call(http.MethodPost, "/api/collections/availability/records", su, map[string]any{
				"teacher": teachers[rng.IntN(2)], "weekday": rng.IntN(7), "start_time": "08:00", "end_time": "09:30"})
		}},
	}
	compare(0, "fixtures")
	for step := 1; step <= 80; step++ {
		w := writes[rng.IntN(len(writes))]
		w.write()
		compare(step, w.name)
	}
}

// fresh is what the answers were before the cache: the calendars loaded
// from the database and their free slots, now.
func fresh(t *testing.T, app core.App, settings academy.Settings, teachers []string, q scheduling.SlotQuery) map[string][]scheduling.Interval {
	t.Helper()
	cals, err := lessons.LoadCalendars(app, settings, lessons.CalendarScope{Teachers: teachers, Span: scheduling.Interval{Start: q.From, End: q.To}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]scheduling.Interval{}
	for _, id := range teachers {
		out[id] = cals[id].FreeSlots(q)
	}
	return out
}

// request is a lesson to check at a random time near the fixtures'.
func request(rng *rand.Rand, f *testapp.Fixtures, day time.Time) scheduling.Request {
	teachers := []string{f.TeacherX, f.TeacherY}
	students := []string{f.StudentA1, f.StudentB1}
	rooms := []string{"", f.Room}
	start := day.AddDate(0, 0, rng.IntN(21)).Add(time.Duration(36+rng.IntN(40)) * 15 * time.Minute)
	return scheduling.Request{Teacher: teachers[rng.IntN(2)], Student: students[rng.IntN(2)], Room: rooms[rng.IntN(2)],
		Start: start, Minutes: []int{30, 45, 60}[rng.IntN(3)]}
}

// conflictSet is conflicts as sorted strings (the order of time off and
// closures in a calendar is not part of the answer's meaning).
func conflictSet(cs []scheduling.Conflict) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s %s", c.Reason, c.LessonID, c.Window.Start.Format(time.RFC3339), c.Window.End.Format(time.RFC3339)))
	}
	slices.Sort(out)
	return out
}

// normal makes an empty answer and no answer the same.
func normal(s []scheduling.Interval) []scheduling.Interval {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestCacheStandsAsideWithoutItsTriggers: a table that lost its triggers
// (rebuilt by some later migration) would leave the counter still while
// its rows change; the cache then answers nothing from memory.
func TestCacheStandsAsideWithoutItsTriggers(t *testing.T) {
	app, _ := testapp.New(t, wiring.WithoutEngine())
	if _, err := app.DB().NewQuery("DROP TRIGGER free_time_closures_insert").Execute(); err != nil {
		t.Fatal(err)
	}
	if freetime.For(app).Active(app) {
		t.Fatal("the cache answers although closures can change without moving its counter")
	}
}
