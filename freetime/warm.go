package freetime

import (
	"context"
	"os"
	"slices"
	"sync"
	"sync/atomic"
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
	// being served (they come first; whatever they miss they derive,
	// shared), after the public default shape and the answers.
	Yield bool
	// Answers are derived and kept once the public timeslots' default
	// shape is warm, before anything else: the answers a visitor's first
	// search asks for (the server's are publicapi.WarmTimeslots). Each
	// derives from the weeks just warmed, in milliseconds.
	Answers []func(app core.App) error
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
	// PublicReady is when the public timeslots' default shape and the
	// plan's answers were warm, from the start of the warm-up.
	PublicReady time.Duration
}

// warmBatch is how many teachers one warm-up job derives in one load: a
// job holds a core for about 5 ms at ten times the seed, where 25 held it
// for 11 ms (and requests arriving meanwhile waited); the warm-up takes
// about 12 % longer in all.
const warmBatch = 10

// The public default shape and the answers (about 2 s of one core at ten
// times the seed) are derived without a pause: they are what the first
// visitors ask for, and pausing them behind a busy server left them for
// visitors to derive (warm 34–36 s after the start in the load run, at a
// third of a core). Between two later jobs a worker waits while requests
// are being served: until none is in flight and none began or ended for
// yieldQuiet, looking every yieldPoll, but at most restShare times its
// last job's length (a fifth of a core under a steady load), so the
// warm-up still ends under load: in the load run at ten times the seed in
// 1 min 18 s (main's, which saw only requests that read free time, 54 s;
// waiting up to 100 ms after each 5 ms job, 2 min 30 s), at load average
// 16–23.
const (
	yieldQuiet = 10 * time.Millisecond
	yieldPoll  = 5 * time.Millisecond
	restShare  = 4
)

// publicStep and publicMinutes are the public timeslots' default grid and
// lesson length: the shape a visitor's first search asks for, warmed
// first.
const (
	publicStep    = 30 * time.Minute
	publicMinutes = 30
)

// shape is one query shape the warm-up derives.
type shape struct {
	minutes int
	step    time.Duration
}

// warmJob is a batch of teachers' week for one shape, or one answer.
type warmJob struct {
	week     int
	shape    shape
	teachers []string
	answer   func(app core.App) error
	public   bool // of the default shape or an answer: PublicReady waits for it
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
	// The public timeslots' default shape first (a visitor's month is one
	// answer over every public teacher of an instrument: the costliest
	// miss), then the answers kept from it, the public timeslots' other
	// lengths, and check-conflicts' shapes; nearest weeks first within
	// each.
	var jobs []warmJob
	weeks := func(horizon int, in func(shape) bool) {
		for week := range horizon {
			for _, s := range shapes {
				if !in(s) {
					continue
				}
				ids := byShape[s]
				for i := 0; i < len(ids); i += warmBatch {
					jobs = append(jobs, warmJob{week: week, shape: s, teachers: ids[i:min(i+warmBatch, len(ids))]})
				}
			}
		}
	}
	publicDefault := shape{publicMinutes, publicStep}
	weeks(plan.PublicWeeks, func(s shape) bool { return s == publicDefault })
	for _, a := range plan.Answers {
		jobs = append(jobs, warmJob{answer: a})
	}
	for i := range jobs {
		jobs[i].public = true
	}
	var publicLeft, publicReady atomic.Int64 // public jobs not done; when the last was
	publicLeft.Store(int64(len(jobs)))
	weeks(plan.PublicWeeks, func(s shape) bool { return s.step == publicStep && s != publicDefault })
	weeks(plan.Weeks, func(s shape) bool { return s.step != publicStep })

	before := c.derivedWeeks.Load()
	work := make(chan warmJob)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range max(plan.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var took time.Duration
			for j := range work {
				if plan.Yield && !j.public {
					c.yield(ctx, max(restShare*took, yieldPoll))
				}
				start := time.Now()
				if onWarmJob != nil {
					onWarmJob(j)
				}
				err := c.warmOne(app, j)
				took = time.Since(start)
				if j.public && publicLeft.Add(-1) == 0 {
					publicReady.Store(int64(time.Since(began)))
				}
				if err != nil {
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
	r.PublicReady = time.Duration(publicReady.Load())
	return r, firstErr
}

// onWarmJob, set by tests, sees each job as a worker takes it.
var onWarmJob func(warmJob)

// warmOne derives one job's week at the current counter value, or its
// answer.
func (c *Cache) warmOne(app core.App, j warmJob) error {
	if j.answer != nil {
		return j.answer(app)
	}
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

// yield waits while requests are being served, for at most limit.
func (c *Cache) yield(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if c.inFlight.Load() == 0 && time.Since(time.Unix(0, c.lastRequest.Load())) > yieldQuiet {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(yieldPoll):
		}
	}
}

// serving counts the request e while it is served, for yield: every
// route's, not only those that read free time (the seed's lists waited
// behind a warm-up that did not see them). A realtime subscription stays
// open without working: it is not counted.
func (c *Cache) serving(e *core.RequestEvent) error {
	if e.Request.URL.Path == "/api/realtime" {
		return e.Next()
	}
	c.inFlight.Add(1)
	c.lastRequest.Store(time.Now().UnixNano())
	defer func() {
		c.lastRequest.Store(time.Now().UnixNano())
		c.inFlight.Add(-1)
	}()
	return e.Next()
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
			e.App.Logger().Info("free time warmed", "teacher_weeks", r.TeacherWeeks, "jobs", r.Jobs, "took", r.Took.String(), "public_ready", r.PublicReady.String())
		}()
		return nil
	})
}
