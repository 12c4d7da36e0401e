package freetime_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/internal/testapp"
	"cedarheights/scheduling"
	"cedarheights/wiring"
)

// TestOverlappingRequestsDeriveEachTeacherWeekOnce: concurrent requests
// for overlapping teachers and overlapping, different date ranges on a
// cold cache derive each teacher-day once between them (each derivation
// is held back so that all of them miss together), and each gets the
// answer a fresh derivation gives. Before, requests shared a derivation
// only for the same teachers and days, and every one derived its own.
func TestOverlappingRequestsDeriveEachTeacherWeekOnce(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	cache := freetime.For(app)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	derived := map[string]int{} // teacher and date → derivations
	defer freetime.OnDerive(func(teachers, dates []string) {
		mu.Lock()
		for _, t := range teachers {
			for _, d := range dates {
				derived[t+" "+d]++
			}
		}
		mu.Unlock()
		time.Sleep(100 * time.Millisecond) // every request misses while the first derive
	})()

	monday := testapp.NextMonday()
	day := time.Date(monday.Year(), monday.Month(), monday.Day(), 0, 0, 0, 0, time.UTC)
	sets := [][]string{{f.TeacherX, f.TeacherY}, {f.TeacherX}, {f.TeacherY, f.TeacherX}, {f.TeacherY}}
	type ask struct {
		teachers []string
		q        scheduling.SlotQuery
	}
	var asks []ask
	for i := range 12 {
		from := day.AddDate(0, 0, 3*i-2) // from the Saturday before, then every third day
		asks = append(asks, ask{sets[i%len(sets)], scheduling.SlotQuery{From: from, To: from.AddDate(0, 0, 10+i%5), Minutes: 30, Step: 15 * time.Minute}})
	}
	got := make([]map[string][]scheduling.Interval, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	for i, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = cache.Slots(app, settings, a.teachers, a.q)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	for k, n := range derived {
		if n != 1 {
			t.Errorf("%s derived %d times, want once", k, n)
		}
	}
	for i, a := range asks {
		want := fresh(t, app, settings, a.teachers, a.q)
		for _, id := range a.teachers {
			if !reflect.DeepEqual(normal(got[i][id]), normal(want[id])) {
				t.Fatalf("request %d, teacher %s: %v, fresh %v", i, id, got[i][id], want[id])
			}
		}
	}
}

// TestWarmUpAnswersAsAColdDerivation: after the warm-up, the public
// timeslots' and check-conflicts' queries within its horizon derive
// nothing, and answer what calendars loaded afresh answer.
func TestWarmUpAnswersAsAColdDerivation(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	cache := freetime.For(app)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cache.Warm(context.Background(), app, freetime.WarmPlan{Weeks: 4, PublicWeeks: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.TeacherWeeks == 0 {
		t.Fatal("the warm-up derived nothing")
	}
	var after int
	defer freetime.OnDerive(func(ts, ds []string) { after++; t.Log("derived", ts, ds) })()

	both := []string{f.TeacherX, f.TeacherY}
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		teachers []string
		q        scheduling.SlotQuery
	}{
		{both, scheduling.SlotQuery{From: today.AddDate(0, 0, 1), To: today.AddDate(0, 0, 15), Minutes: 30, Step: 30 * time.Minute}}, // public timeslots
		{both, scheduling.SlotQuery{From: now, To: today.AddDate(0, 0, 20), Minutes: 30, Step: 15 * time.Minute}},                    // alternatives
		{[]string{f.TeacherX}, scheduling.SlotQuery{From: today.AddDate(0, 0, 3), To: today.AddDate(0, 0, 17), Minutes: 45}},         // X's other length
	} {
		got, err := cache.Slots(app, settings, c.teachers, c.q)
		if err != nil {
			t.Fatal(err)
		}
		want := fresh(t, app, settings, c.teachers, c.q)
		for _, id := range c.teachers {
			if len(want[id]) == 0 {
				t.Fatalf("%+v: no free slot for %s: the comparison shows nothing", c.q, id)
			}
			if !reflect.DeepEqual(normal(got[id]), normal(want[id])) {
				t.Fatalf("%+v, teacher %s: warm %v, fresh %v", c.q, id, got[id], want[id])
			}
		}
	}
	if after != 0 {
		t.Fatalf("%d derivations after the warm-up, want none within its horizon", after)
	}
}
