package freetime

import "errors"

// flights.go: one derivation per key and counter value at a time. On a
// cold cache (a restart, or the first request after a write) every request
// that arrives while a month of free time is being derived would derive it
// too: at ten times the seed's size that is 0.7 s of CPU each, and at 200
// requests a second the queue never drains (measured: a third of the
// public timeslots answered, the rest timed out). Requests that miss the
// same key at the same counter value wait for the one derivation instead.

type flightKey struct {
	version int64
	key     string
}

type flight struct {
	done chan struct{}
	val  any
	err  error
}

var errFlightLost = errors.New("freetime: the shared derivation did not finish")

// shared runs derive once for key at the snapshot's counter value, however
// many requests ask for it meanwhile; they all get its result. Only a
// current snapshot shares: an older one derives alone.
func (s *Snapshot) shared(key string, derive func() (any, error)) (any, error) {
	c := s.c
	k := flightKey{s.version, key}
	c.mu.Lock()
	if f, ok := c.flights[k]; ok {
		c.mu.Unlock()
		<-f.done
		return f.val, f.err
	}
	f := &flight{done: make(chan struct{}), err: errFlightLost} // kept if derive panics
	c.flights[k] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, k)
		c.mu.Unlock()
		close(f.done)
	}()
	f.val, f.err = derive()
	return f.val, f.err
}
