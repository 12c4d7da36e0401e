package offers

import "time"

// Timing paces the offers of one freed slot.
type Timing struct {
	// Lead: offers close this long before the slot starts, so whoever
	// takes it has time to plan and the teacher knows who comes.
	Lead time.Duration
	// Window: the longest an offer stays open.
	Window time.Duration
	// MinOpen: a slot that could be offered for less time than this is
	// not offered at all (nobody would see the mail in time).
	MinOpen time.Duration
	// FirstRound: how long families with a make-up credit have the slot
	// to themselves before students who asked for another time are
	// offered it too.
	FirstRound time.Duration
}

// DefaultTiming is the academy's pacing.
var DefaultTiming = Timing{Lead: 2 * time.Hour, Window: 24 * time.Hour, MinOpen: 30 * time.Minute, FirstRound: 4 * time.Hour}

// timing is what runs use; tests shorten it (export_test.go).
var timing = DefaultTiming

// Deadlines are when a run's offers close and when its second round
// starts.
type Deadlines struct {
	Close       time.Time `json:"close"`
	SecondRound time.Time `json:"second_round"`
}

// deadlines says when offers for a slot starting at start, freed at now,
// close: the earlier of Lead before the start and Window after now. ok is
// false when that leaves less than MinOpen: the slot is not offered.
func (t Timing) deadlines(start, now time.Time) (d Deadlines, ok bool) {
	d.Close = start.Add(-t.Lead)
	if limit := now.Add(t.Window); limit.Before(d.Close) {
		d.Close = limit
	}
	if d.Close.Sub(now) < t.MinOpen {
		return Deadlines{}, false
	}
	d.SecondRound = now.Add(t.FirstRound)
	if d.SecondRound.After(d.Close) {
		d.SecondRound = d.Close
	}
	return d, true
}
