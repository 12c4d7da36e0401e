package freetime

import (
	"strconv"
	"strings"
	"time"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// weeks.go: free days are derived a teacher-week at a time, once. A
// request that misses days claims the teacher-weeks nobody is deriving,
// derives them in one load, and waits for the ones another request (or
// the warm-up) is deriving. Requests for overlapping teachers and dates
// then derive each teacher-week once between them, whatever their exact
// ranges (before, a shared derivation needed the same teachers and days:
// after a restart, every check-conflicts request derived its own fifty
// teachers' month, and they queued for 40 s at ten times the seed).

// weekSpan is the local weeks (Monday first) a request's dates fall in.
type weekSpan struct {
	of      []int       // per date of the request, the index of its week
	mondays []time.Time // each week's Monday, local midnight
	first   []int       // per week, the index of its first date in the request
}

// week is one teacher's free slots on each day of a local week, Monday
// first.
type week [7][]scheduling.Interval

// weekday is d's place in its week, Monday first.
func weekday(d time.Time) int { return (int(d.Weekday()) + 6) % 7 }

// weeksOf groups dates (consecutive local midnights) into their weeks.
func weeksOf(dates []time.Time) weekSpan {
	var w weekSpan
	for i, d := range dates {
		monday := d.AddDate(0, 0, -weekday(d))
		if n := len(w.mondays); n == 0 || !w.mondays[n-1].Equal(monday) {
			w.mondays = append(w.mondays, monday)
			w.first = append(w.first, i)
		}
		w.of = append(w.of, len(w.mondays)-1)
	}
	return w
}

// weekKey names one teacher's free days in one local week for one query
// shape, at one counter value: what one flight derives.
type weekKey struct {
	version int64
	day     dayKey // the week's Monday
}

// weekDates lists the local midnights of the weeks first..last and their
// names.
func weekDates(w weekSpan, first, last int) ([]time.Time, []string) {
	var dates []time.Time
	var names []string
	for d := w.mondays[first]; !d.After(w.mondays[last].AddDate(0, 0, 6)); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d)
		names = append(names, d.Format(time.DateOnly))
	}
	return dates, names
}

// weeks answers the missing teacher-weeks (missing: per teacher, indexes
// into w) for q: kept days are copied, the weeks nobody derives are
// claimed and derived here, the others are waited for. The snapshot was
// current when the cache was read; if a write has moved the cache on
// since, everything is derived afresh, alone, by alone.
func (s *Snapshot) weeks(settings academy.Settings, q scheduling.SlotQuery, w weekSpan, order []string, missing map[string][]int,
	key func(teacher, date string) dayKey, alone func() (map[dayKey][]scheduling.Interval, error)) (map[dayKey][]scheduling.Interval, error) {
	c := s.c
	got := map[dayKey][]scheduling.Interval{}
	type wait struct {
		f       *flight
		teacher string
		week    int
	}
	var waits []wait
	mine := map[weekKey]*flight{}
	claimed := map[string][]int{} // teacher → the weeks it derives here

	c.mu.Lock()
	if !s.current() {
		c.mu.Unlock()
		return alone()
	}
	for _, t := range order {
		for _, wi := range missing[t] {
			_, names := weekDates(w, wi, wi)
			k := weekKey{s.version, key(t, names[0])}
			if f, ok := c.weekFlights[k]; ok {
				waits = append(waits, wait{f, t, wi})
				continue
			}
			if wk, ok := c.weeks[k.day]; ok { // derived since the cache was read
				for i, name := range names {
					got[key(t, name)] = wk[i]
				}
				continue
			}
			f := &flight{done: make(chan struct{}), err: errFlightLost}
			c.weekFlights[k] = f
			mine[k] = f
			claimed[t] = append(claimed[t], wi)
		}
	}
	c.mu.Unlock()

	// Every claimed flight is ended, even if a derivation panics (its
	// waiters then get errFlightLost, as the flight starts with it).
	release := func(k weekKey, val any, err error) {
		f, ok := mine[k]
		if !ok {
			return
		}
		delete(mine, k)
		f.val, f.err = val, err
		c.mu.Lock()
		delete(c.weekFlights, k)
		c.mu.Unlock()
		close(f.done)
	}
	defer func() {
		for k, f := range mine {
			release(k, nil, f.err)
		}
	}()

	// Teachers missing the same weeks are derived in one load.
	groups := map[string][]string{}
	var signatures []string
	for _, t := range order {
		weeks, ok := claimed[t]
		if !ok {
			continue
		}
		sig := signature(weeks)
		if _, ok := groups[sig]; !ok {
			signatures = append(signatures, sig)
		}
		groups[sig] = append(groups[sig], t)
	}
	for _, sig := range signatures {
		teachers := groups[sig]
		weeks := claimed[teachers[0]]
		dates, names := weekDates(w, weeks[0], weeks[len(weeks)-1])
		derived, err := derive(s.app, settings, teachers, dates, names, q, key)
		c.derivedWeeks.Add(int64(len(teachers) * (weeks[len(weeks)-1] - weeks[0] + 1)))
		if err == nil {
			s.keep(derived, teachers, names, key)
			for k, slots := range derived {
				got[k] = slots
			}
		}
		for _, t := range teachers {
			for _, wi := range weeks {
				_, names := weekDates(w, wi, wi)
				release(weekKey{s.version, key(t, names[0])}, derived, err)
			}
		}
		if err != nil {
			return nil, err
		}
	}

	for _, wt := range waits {
		<-wt.f.done
		if wt.f.err != nil {
			return nil, wt.f.err
		}
		derived := wt.f.val.(map[dayKey][]scheduling.Interval)
		_, names := weekDates(w, wt.week, wt.week)
		for _, name := range names {
			k := key(wt.teacher, name)
			got[k] = derived[k]
		}
	}
	return got, nil
}

// keep stores the teachers' derived weeks (names: their days, Mondays
// first) if nothing they are made of was committed since the snapshot was
// taken (the counter would have moved).
func (s *Snapshot) keep(derived map[dayKey][]scheduling.Interval, teachers, names []string, key func(teacher, date string) dayKey) {
	if !s.unchanged() {
		return
	}
	kept := make(map[dayKey]*week, len(teachers)*len(names)/7)
	for _, t := range teachers {
		for i := 0; i+7 <= len(names); i += 7 {
			var wk week
			for d := range 7 {
				wk[d] = derived[key(t, names[i+d])]
			}
			kept[key(t, names[i])] = &wk
		}
	}
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != s.version {
		return
	}
	if len(c.weeks)+len(kept) > maxEntries {
		c.weeks = map[dayKey]*week{}
	}
	for k, wk := range kept {
		c.weeks[k] = wk
	}
}

// signature names a list of week indexes.
func signature(weeks []int) string {
	parts := make([]string, len(weeks))
	for i, wi := range weeks {
		parts[i] = strconv.Itoa(wi)
	}
	return strings.Join(parts, ",")
}

// DerivedWeeks is how many teacher-weeks of free days have been derived for
// requests and the warm-up since the start (a teacher-week is derived once
// per counter value while it stays kept).
func (c *Cache) DerivedWeeks() int64 { return c.derivedWeeks.Load() }
