package freetime

import (
	"context"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// warm.go: after a start the cache is empty, and at ten times the seed
// the first minute of requests derived it under load (check-conflicts at
// 50 req/s answered 6 % within 10 s). The warm-up derives, in the
// background, the free days those routes ask for first, through the same
// per teacher-week flights as requests (weeks.go): a request that needs a
// week being warmed waits for it instead of deriving it again.

// WarmPlan bounds the warm-up.
type WarmPlan struct {
	// Weeks of check-conflicts' alternatives (every active teacher, each of
	// its lesson lengths, the default 15-minute grid), from the current
	// local week.
	Weeks int
	// PublicWeeks of public timeslots (public active teachers, each of
	// their lengths, the route's default 30-minute grid).
	PublicWeeks int
	// Workers derive in parallel; each derives a batch of teachers for one
	// week at a time.
	Workers int
	// Yield makes a worker pause between batches while requests are
	// arriving (they come first; whatever they miss they derive, shared).
	Yield bool
}

// DefaultWarmPlan covers what the routes ask for most: suggestions two
// weeks around lessons booked up to about two months ahead, and a visitor's
// next month of timeslots; one worker, so a request always has a core on
// two.
func DefaultWarmPlan() WarmPlan {
	return WarmPlan{Weeks: 12, PublicWeeks: 6, Workers: 1, Yield: true}
}

// WarmReport says what a warm-up did.
type WarmReport struct {
	TeacherWeeks int64 // derived by the warm-up (the others were kept or derived by requests)
	Jobs         int
	Took         time.Duration
}

// warmBatch is how many teachers one warm-up job derives in one load.
const warmBatch = 25

// yieldPause is how long a worker waits for arriving requests before its
// next batch, and yieldRounds how many such waits it makes at most (then
// it goes on, so the warm-up ends under a steady load too).
const (
	yieldPause  = 20 * time.Millisecond
	yieldRounds = 5
)

// publicStep is the public timeslots' default grid.
const publicStep = 30 * time.Minute

// shape is one query shape the warm-up derives.
type shape struct {
	minutes int
	step    time.Duration
}

type warmJob struct {
	week     int
	shape    shape
	teachers []string
}

// Warm derives plan's free days and returns when done, or when ctx ends.
func (c *Cache) Warm(ctx context.Context, app core.App, plan WarmPlan) (WarmReport, error) {
	began := time.Now()
	var r WarmReport
	if !c.Active(app) {
		return r, nil
	}
	teachers, err := app.FindRecordsByFilter("teachers", "active = true", "id", 0, 0)
	if err != nil {
		return r, err
	}
	// Teachers per shape, in a fixed order.
	byShape := map[shape][]string{}
	var shapes []shape
	add := func(s shape, id string) {
		if _, ok := byShape[s]; !ok {
			shapes = append(shapes, s)
		}
		byShape[s] = append(byShape[s], id)
	}
	for _, t := range teachers {
		for _, m := range lessons.LessonLengths(t) {
			add(shape{m, 15 * time.Minute}, t.Id)
			if t.GetBool("public") {
				add(shape{m, publicStep}, t.Id)
			}
		}
	}
	slices.SortFunc(shapes, func(a, b shape) int {
		if a.minutes != b.minutes {
			return a.minutes - b.minutes
		}
		return int(a.step - b.step)
	})
	// The public timeslots' shapes first (a visitor's month is one answer
	// over every public teacher: the costliest miss), then
	// check-conflicts'; nearest weeks first within each.
	var jobs []warmJob
	for _, public := range []bool{true, false} {
		horizon := plan.Weeks
		if public {
			horizon = plan.PublicWeeks
		}
		for week := range horizon {
			for _, s := range shapes {
				if (s.step == publicStep) != public {
					continue
				}
				ids := byShape[s]
				for i := 0; i < len(ids); i += warmBatch {
					jobs = append(jobs, warmJob{week, s, ids[i:min(i+warmBatch, len(ids))]})
				}
			}
		}
	}

	before := c.derivedWeeks.Load()
	work := make(chan warmJob)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range max(plan.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if plan.Yield {
					c.yield(ctx)
				}
				if err := c.warmOne(app, j); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
			r.Jobs++
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	r.TeacherWeeks = c.derivedWeeks.Load() - before
	r.Took = time.Since(began)
	return r, firstErr
}

// warmOne derives one job's week at the current counter value.
func (c *Cache) warmOne(app core.App, j warmJob) error {
	s, err := c.at(app)
	if err != nil {
		return err
	}
	settings, err := s.Settings()
	if err != nil {
		return err
	}
	now := time.Now().In(settings.Zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, settings.Zone)
	monday := today.AddDate(0, 0, -(int(today.Weekday())+6)%7+7*j.week)
	// To the last minute of Sunday: the next Monday's date would be a week
	// of its own.
	q := scheduling.SlotQuery{From: monday.UTC(), To: monday.AddDate(0, 0, 7).Add(-time.Minute).UTC(), Minutes: j.shape.minutes, Step: j.shape.step}
	_, err = s.Slots(settings, j.teachers, q)
	return err
}

// yield waits while requests are arriving, a few pauses at most.
func (c *Cache) yield(ctx context.Context) {
	for range yieldRounds {
		if time.Since(time.Unix(0, c.lastRequest.Load())) > yieldPause {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(yieldPause):
		}
	}
}

// WarmUpEnv, set to "off", keeps the server from warming the cache at start.
const WarmUpEnv = "FREE_TIME_WARM_UP"

// WarmOnServe warms app's cache in the background once it serves, with
// plan, and stops the warm-up when the app terminates. The outcome is
// logged ("free time warmed").
func WarmOnServe(app core.App, plan WarmPlan) {
	if os.Getenv(WarmUpEnv) == "off" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		cancel()
		return e.Next()
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		go func() {
			r, err := For(e.App).Warm(ctx, e.App, plan)
			if err != nil {
				e.App.Logger().Error("free time: the warm-up failed", "error", err, "teacher_weeks", r.TeacherWeeks, "took", r.Took.String())
				return
			}
			e.App.Logger().Info("free time warmed", "teacher_weeks", r.TeacherWeeks, "jobs", r.Jobs, "took", r.Took.String())
		}()
		return nil
	})
}
