package freetime

import "time"

// OnDerive makes f see every derivation of free days (the teachers and the
// local dates) until the returned function is called.
func OnDerive(f func(teachers, dates []string)) (restore func()) {
	onDerive = f
	return func() { onDerive = nil }
}

// OnWarmJob makes f see each warm-up job as a worker takes it: its week,
// lesson length and grid, or answer true for one of the plan's answers.
func OnWarmJob(f func(week, minutes int, step time.Duration, answer bool)) (restore func()) {
	onWarmJob = func(j warmJob) { f(j.week, j.shape.minutes, j.shape.step, j.answer != nil) }
	return func() { onWarmJob = nil }
}

// Serving is how many requests the warm-up sees being served.
func (c *Cache) Serving() int64 { return c.inFlight.Load() }
