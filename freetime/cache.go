package freetime

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// storeKey is where Register keeps the app's cache (app.Store() is shared
// by the app and its transactions, and is per app, so test apps never
// share one).
const storeKey = "cedarheights.freetime"

// maxEntries bounds the memory a stream of odd queries can take: past it
// the cache starts again. It counts teacher-weeks (per lesson length and
// grid); the warm-up at ten times the seed keeps about 35,000.
const maxEntries = 100_000

// dayKey names one teacher's free slots on one local day, for one lesson
// length and grid step under one zone and buffer.
type dayKey struct {
	teacher string
	date    string // local date, 2006-01-02
	minutes int
	step    time.Duration
	zone    string
	buffer  time.Duration
}

// Cache holds derived free days for one counter value (see doc.go).
type Cache struct {
	// mu is shared by the lookups every request makes (Snapshot.read) and
	// taken alone only to keep, reset or start a derivation: with one
	// exclusive lock, concurrent requests queued on each other's lookups
	// (check-conflicts takes it six times a request, one of them for a
	// thousand map reads) and the HTTP route stopped short of its CPU.
	mu      sync.RWMutex
	version int64
	// weeks holds derived free days a teacher-week at a time, under the
	// key of the week's Monday: a month for fifty teachers is 250 lookups,
	// not 1,500.
	weeks   map[dayKey]*week
	answers map[string]answer
	values  map[string]any
	// answerBytes is the size of the kept answers.
	answerBytes int

	checkOnce sync.Once
	active    bool // the triggers are all there (Active)

	flights     map[flightKey]*flight // derivations under way (flights.go)
	weekFlights map[weekKey]*flight   // teacher-weeks being derived (weeks.go)
	// derivedWeeks counts the teacher-weeks derived while the cache was
	// current (DerivedWeeks).
	derivedWeeks atomic.Int64
	// lastRequest is when a request last began or ended, or took a
	// snapshot (UnixNano), and inFlight how many are being served: the
	// warm-up yields to requests (warm.go).
	lastRequest atomic.Int64
	inFlight    atomic.Int64
}

// reset starts again at counter value v; the caller holds mu.
func (c *Cache) reset(v int64) {
	c.weeks, c.answers, c.values, c.version = map[dayKey]*week{}, map[string]answer{}, map[string]any{}, v
	c.answerBytes = 0
}

// Register gives app its cache; For finds it. The cache counts the
// requests being served, for the warm-up to yield to (warm.go).
func Register(app core.App) {
	c := &Cache{flights: map[flightKey]*flight{}, weekFlights: map[weekKey]*flight{}}
	c.reset(0)
	app.Store().Set(storeKey, c)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(c.serving)
		return e.Next()
	})
}

// For is app's cache, or nil when none was registered (then Slots derives
// every answer afresh).
func For(app core.App) *Cache {
	c, _ := app.Store().Get(storeKey).(*Cache)
	return c
}

// Slots answers, per teacher, what lessons.LoadCalendars and
// Calendar.FreeSlots answer for q at this instant: the bookable slots in
// q's range, none in the past. Days already derived at the current counter
// value come from memory; the missing ones are derived a teacher-week at a
// time, once however many requests miss them together (weeks.go), and kept
// if the counter did not move while they were read.
func (c *Cache) Slots(app core.App, settings academy.Settings, teachers []string, q scheduling.SlotQuery) (map[string][]scheduling.Interval, error) {
	s, err := c.At(app)
	if err != nil {
		return nil, err
	}
	return s.Slots(settings, teachers, q)
}

// Slots is Cache.Slots at the snapshot's counter value.
func (s *Snapshot) Slots(settings academy.Settings, teachers []string, q scheduling.SlotQuery) (map[string][]scheduling.Interval, error) {
	if q.Step <= 0 {
		q.Step = 15 * time.Minute // FreeSlots' default
	}
	if len(teachers) == 0 || !q.To.After(q.From) {
		return make(map[string][]scheduling.Interval, len(teachers)), nil
	}
	dates := localDates(q.From, q.To, settings.Zone)
	// Keys are built once per teacher and day: names and zone formatted once.
	names := make([]string, len(dates))
	for i, d := range dates {
		names[i] = d.Format(time.DateOnly)
	}
	zone := settings.Zone.String()
	key := func(teacher, date string) dayKey {
		return dayKey{teacher: teacher, date: date, minutes: q.Minutes, step: q.Step, zone: zone, buffer: settings.Buffer}
	}
	// rows holds each teacher's days in dates' order.
	rows := make(map[string][][]scheduling.Interval, len(teachers))
	fill := func(derived map[dayKey][]scheduling.Interval, teachers []string) {
		for _, t := range teachers {
			row := make([][]scheduling.Interval, len(names))
			for i, name := range names {
				row[i] = derived[key(t, name)]
			}
			rows[t] = row
		}
	}

	if !s.active {
		derived, err := derive(s.app, settings, teachers, dates, names, q, key)
		if err != nil {
			return nil, err
		}
		fill(derived, teachers)
		return pick(rows, teachers, q), nil
	}

	c := s.c
	// missing holds, per teacher without every day kept, the weeks (indexes
	// into weeks) with a day not kept.
	weeks := weeksOf(dates)
	missing := map[string][]int{}
	var order []string // missing teachers in the caller's order
	monday := make([]string, len(weeks.mondays))
	for i, m := range weeks.mondays {
		monday[i] = m.Format(time.DateOnly)
	}
	current := s.read(func() {
		for _, t := range teachers {
			row := make([][]scheduling.Interval, len(names))
			var gaps []int
			for wi := range weeks.mondays {
				wk, ok := c.weeks[key(t, monday[wi])]
				if !ok {
					gaps = append(gaps, wi)
					continue
				}
				for i := weeks.first[wi]; i < len(names) && weeks.of[i] == wi; i++ {
					row[i] = wk[weekday(dates[i])]
				}
			}
			if gaps == nil {
				rows[t] = row
			} else {
				missing[t] = gaps
				order = append(order, t)
			}
		}
	})
	if !current { // an older snapshot derives everything afresh, alone
		derived, err := derive(s.app, settings, teachers, dates, names, q, key)
		if err != nil {
			return nil, err
		}
		fill(derived, teachers)
		return pick(rows, teachers, q), nil
	}
	if len(order) > 0 {
		alone := func() (map[dayKey][]scheduling.Interval, error) {
			return derive(s.app, settings, order, dates, names, q, key)
		}
		got, err := s.weeks(settings, q, weeks, order, missing, key, alone)
		if err != nil {
			return nil, err
		}
		fill(got, order)
	}
	return pick(rows, teachers, q), nil
}

// onDerive, set by tests, sees every derivation before it loads.
var onDerive func(teachers, dates []string)

// derive loads the teachers' calendars around dates (named names) and lists
// each day's free slots, ignoring the past (which Slots applies when it
// answers) and q's bounds within the day.
func derive(app core.App, settings academy.Settings, teachers []string, dates []time.Time, names []string, q scheduling.SlotQuery,
	key func(teacher, date string) dayKey) (map[dayKey][]scheduling.Interval, error) {
	if onDerive != nil {
		onDerive(teachers, names)
	}
	// A slot starts on its date and lasts at most a few hours; 50 hours
	// past the last midnight covers any day length around a DST change.
	span := scheduling.Interval{Start: dates[0].UTC(), End: dates[len(dates)-1].Add(50 * time.Hour).UTC()}
	cals, err := lessons.LoadCalendars(app, settings, lessons.CalendarScope{Teachers: teachers, Span: span})
	if err != nil {
		return nil, err
	}
	first, last := names[0], names[len(names)-1]
	out := make(map[dayKey][]scheduling.Interval, len(teachers)*len(dates))
	for _, t := range teachers {
		for _, name := range names {
			out[key(t, name)] = []scheduling.Interval{} // a day without a free slot is derived too
		}
		cal, ok := cals[t]
		if !ok {
			continue // unknown teacher: no slots, as FreeSlots of an empty calendar
		}
		cal.Now = time.Time{} // the past is applied when answering
		for _, s := range cal.FreeSlots(scheduling.SlotQuery{From: span.Start, To: span.End, Minutes: q.Minutes, Step: q.Step}) {
			date := s.Start.In(settings.Zone).Format(time.DateOnly)
			if date < first || date > last {
				continue
			}
			k := key(t, date)
			out[k] = append(out[k], s)
		}
	}
	return out, nil
}

// pick answers q from each teacher's derived days: within q's bounds and
// not in the past.
func pick(rows map[string][][]scheduling.Interval, teachers []string, q scheduling.SlotQuery) map[string][]scheduling.Interval {
	now := time.Now()
	out := make(map[string][]scheduling.Interval, len(teachers))
	for _, t := range teachers {
		n := 0
		for _, day := range rows[t] {
			n += len(day)
		}
		slots := make([]scheduling.Interval, 0, n) // one allocation, not a dozen growths
		for _, day := range rows[t] {
			for _, s := range day {
				if s.Start.Before(q.From) || s.End.After(q.To) || s.Start.Before(now) {
					continue
				}
				slots = append(slots, s)
			}
		}
		out[t] = slots
	}
	return out
}

// localDates lists the local midnights from from's date to to's date, the
// days FreeSlots walks.
func localDates(from, to time.Time, zone *time.Location) []time.Time {
	first, last := from.In(zone), to.In(zone)
	var out []time.Time
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, zone); !day.After(last); day = day.AddDate(0, 0, 1) {
		out = append(out, day)
	}
	return out
}
