package workflows

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy says how often a task is tried and how long to wait between
// attempts: exponential backoff from Initial, capped at Max, with full
// jitter (a uniform wait between zero and the capped backoff, so retries of
// many runs do not stampede together).
type RetryPolicy struct {
	MaxAttempts int           // total attempts, the first included; 1 = no retry
	Initial     time.Duration // backoff ceiling before the second attempt
	Max         time.Duration // backoff ceiling never exceeds this
}

// DefaultRetry is used by tasks that set no policy.
var DefaultRetry = RetryPolicy{MaxAttempts: 3, Initial: 200 * time.Millisecond, Max: time.Minute}

// NoRetry tries a task once.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) normalized() RetryPolicy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.Initial <= 0 {
		p.Initial = DefaultRetry.Initial
	}
	if p.Max < p.Initial {
		p.Max = max(p.Initial, DefaultRetry.Max)
	}
	return p
}

// backoff is the wait after the failed attempt number attempt (1-based).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	p = p.normalized()
	ceiling := p.Initial
	for i := 1; i < attempt && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
