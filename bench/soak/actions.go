package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// actions.go is what the simulated users do: each action is one thing a
// person does (a page of students, booking a make-up), made of one request
// or a few (a booking first looks for a free slot). Reads are about three
// quarters of the actions. Every write is a valid request; the only
// refusal expected is a 409 where a concurrent request took the slot or
// the credit first.

// action is one weighted kind of thing a user does.
type action struct {
	Name     string
	Weight   int
	Requests float64 // requests per action, roughly (for the pacing)
	Write    bool
	Do       func(*soak)
}

// soak is the shared state of a run: the cast, the lessons the office
// works on, and counters that keep written values unique.
type soak struct {
	*traffic
	cast *cast

	mu           sync.Mutex
	familyPool   []lesson // future lessons of the cast's families: cancelled, and booked into
	otherPool    []lesson // future lessons of other families: moved
	prospects    map[string][]string
	seq          atomic.Int64
	reminderFrom time.Time
	reminderSeq  atomic.Int64
}

func newSoak(t *traffic, c *cast) *soak {
	s := &soak{traffic: t, cast: c, familyPool: c.FamilyLessons, otherPool: c.OtherLessons, prospects: map[string][]string{}}
	s.reminderFrom = time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)
	return s
}

func pick[T any](list []T) T { return list[rand.IntN(len(list))] }

func (s *soak) parent() parent {
	for {
		if p := pick(s.cast.Parents); len(p.Students) > 0 {
			return p
		}
	}
}

// take removes a random lesson from a pool (so that no two actions work on
// the same lesson at once); put gives it back.
func (s *soak) take(pool *[]lesson) (lesson, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*pool) == 0 {
		return lesson{}, false
	}
	i := rand.IntN(len(*pool))
	l := (*pool)[i]
	(*pool)[i] = (*pool)[len(*pool)-1]
	*pool = (*pool)[:len(*pool)-1]
	return l, true
}

func (s *soak) put(pool *[]lesson, l lesson) {
	s.mu.Lock()
	*pool = append(*pool, l)
	s.mu.Unlock()
}

// day is a local date n days from today (the academy's zone is a few hours
// from UTC; a date either side is as valid a query).
func day(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

type slot struct {
	Teacher string    `json:"teacher"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// freeSlot asks the public timeslots for a free slot and picks one at
// random (false when there is none, or the request failed).
func (s *soak) freeSlot(label, token, instrument, teacher string, from, to, minutes int) (slot, bool) {
	q := url.Values{"instrument": {instrument}, "from": {day(from)}, "to": {day(to)}, "minutes": {fmt.Sprint(minutes)}}
	if teacher != "" {
		q.Set("teacher", teacher)
	}
	var out struct {
		Slots []slot `json:"slots"`
	}
	if !s.do(call{Endpoint: "GET /api/v1/public/timeslots (" + label + ")", Method: http.MethodGet,
		Path: "/api/v1/public/timeslots?" + q.Encode(), Token: token, Want: []int{200}}, &out) || len(out.Slots) == 0 {
		return slot{}, false
	}
	return pick(out.Slots), true
}

func get(endpoint, path, token string) call {
	return call{Endpoint: endpoint, Method: http.MethodGet, Path: path, Token: token, Want: []int{200}}
}

func (s *soak) actions() []action {
	c := s.cast
	read := func(name string, weight int, next func() call) action {
		return action{Name: name, Weight: weight, Requests: 1, Do: func(s *soak) { s.do(next(), nil) }}
	}
	return []action{
		// Anonymous visitors: the public catalogue.
		read("public teachers", 80, func() call { return get("GET /api/v1/public/teachers", "/api/v1/public/teachers", "") }),
		read("public pricing", 60, func() call { return get("GET /api/v1/public/pricing", "/api/v1/public/pricing", "") }),
		read("public timeslots", 60, func() call {
			q := url.Values{"instrument": {pick(c.Instruments)}, "from": {day(1)}, "to": {day(14)}}
			return get("GET /api/v1/public/timeslots (visitor)", "/api/v1/public/timeslots?"+q.Encode(), "")
		}),
		read("instruments (record API)", 30, func() call {
			return get("GET /api/collections/instruments/records (visitor)", "/api/collections/instruments/records?perPage=50&skipTotal=1", "")
		}),

		// Parents: their family's pages.
		read("parent students", 80, func() call {
			return get("GET /api/v1/students (parent)", "/api/v1/students?per_page=20", s.parent().Token)
		}),
		read("parent lessons", 60, func() call {
			return get("GET /api/v1/lessons (parent)", "/api/v1/lessons?per_page=50&from="+day(0)+"&to="+day(28), s.parent().Token)
		}),
		read("parent week", 30, func() call {
			return get("GET /api/v1/lessons/schedule/view (parent)", "/api/v1/lessons/schedule/view?view=week&date="+day(7), s.parent().Token)
		}),
		read("parent payments", 40, func() call {
			return get("GET /api/v1/payments (parent)", "/api/v1/payments?per_page=20", s.parent().Token)
		}),
		read("parent ledger", 40, func() call {
			p := s.parent()
			return get("GET /api/v1/billing/families/{id}/ledger (parent)", "/api/v1/billing/families/"+p.ID+"/ledger", p.Token)
		}),

		// Teachers: their week, their lessons, their students.
		read("teacher week", 60, func() call {
			t := pick(c.Teachers)
			return get("GET /api/v1/lessons/schedule/view (teacher)", "/api/v1/lessons/schedule/view?view=week&teacher="+t.Profile+"&date="+day(0), t.Token)
		}),
		read("teacher lessons", 40, func() call {
			t := pick(c.Teachers)
			return get("GET /api/v1/lessons (teacher)", "/api/v1/lessons?per_page=50&teacher="+t.Profile+"&from="+day(0)+"&to="+day(7), t.Token)
		}),
		read("teacher students (record API)", 40, func() call {
			return get("GET /api/collections/students/records (teacher)", "/api/collections/students/records?perPage=20&skipTotal=1&sort=last_name", pick(c.Teachers).Token)
		}),

		// The office.
		read("admin students", 40, func() call {
			return get("GET /api/v1/students (admin)", "/api/v1/students?per_page=20", c.Admin.Token)
		}),
		read("admin payments", 20, func() call {
			return get("GET /api/v1/payments (admin)", "/api/v1/payments?per_page=20&skip_total=1", c.Admin.Token)
		}),
		read("admin runs", 20, func() call {
			return get("GET /api/v1/workflows/runs (admin)", "/api/v1/workflows/runs?per_page=20&skip_total=1", c.Admin.Token)
		}),
		read("admin teacher week", 20, func() call {
			return get("GET /api/v1/lessons/schedule/view (admin)", "/api/v1/lessons/schedule/view?view=week&teacher="+pick(c.Teachers).Profile+"&date="+day(7), c.Admin.Token)
		}),
		read("admin lessons (record API)", 5, func() call {
			// The week ahead, as a calendar asks for it; one admin asks
			// rarely. The costliest read of a 10 req/s trial (p95 0.49 s on
			// a busy machine). Without the upper bound it took 0.8 s alone
			// on the bench data (0.2 s for /api/v1/lessons) and ran past
			// the 5 s query deadline under load.
			now := time.Now()
			f := url.QueryEscape(fmt.Sprintf("start >= '%s' && start < '%s' && status = 'scheduled'", dbTime(now), dbTime(now.AddDate(0, 0, 7))))
			return get("GET /api/collections/lessons/records (admin)", "/api/collections/lessons/records?perPage=50&skipTotal=1&sort=start&filter="+f, c.Admin.Token)
		}),

		// Writes.
		{Name: "parent adds a sibling", Weight: 30, Requests: 1, Write: true, Do: (*soak).addSibling},
		{Name: "parent edits a student", Weight: 40, Requests: 1, Write: true, Do: (*soak).editStudent},
		{Name: "parent books a make-up", Weight: 30, Requests: 2, Write: true, Do: (*soak).bookMakeup},
		{Name: "parent enrolls a child", Weight: 10, Requests: 2, Write: true, Do: (*soak).enroll},
		{Name: "teacher writes notes", Weight: 30, Requests: 1, Write: true, Do: (*soak).writeNotes},
		{Name: "admin books a lesson", Weight: 25, Requests: 2, Write: true, Do: (*soak).bookLesson},
		{Name: "admin moves a lesson", Weight: 25, Requests: 2, Write: true, Do: (*soak).moveLesson},
		{Name: "admin cancels a lesson", Weight: 20, Requests: 1, Write: true, Do: (*soak).cancelLesson},
		{Name: "admin edits a student", Weight: 15, Requests: 1, Write: true, Do: (*soak).adminEditStudent},
		{Name: "office starts a reminders run", Weight: 5, Requests: 1, Write: true, Do: (*soak).startReminders},
	}
}

func (s *soak) addSibling() {
	p := s.parent()
	n := s.seq.Add(1)
	var out struct {
		ID string `json:"id"`
	}
	if s.do(call{Endpoint: "POST /api/v1/students (parent)", Method: http.MethodPost, Path: "/api/v1/students", Token: p.Token,
		Body: map[string]any{"parent": p.ID, "first_name": "Sibling", "last_name": fmt.Sprintf("Soak %d", n), "status": "prospect"},
		Want: []int{201}}, &out) {
		s.mu.Lock()
		s.prospects[p.ID] = append(s.prospects[p.ID], out.ID)
		s.mu.Unlock()
	}
}

func (s *soak) editStudent() {
	p := s.parent()
	id := pick(p.Students).ID
	s.mu.Lock()
	if mine := s.prospects[p.ID]; len(mine) > 0 && rand.IntN(2) == 0 {
		id = pick(mine)
	}
	s.mu.Unlock()
	s.do(call{Endpoint: "PATCH /api/v1/students/{id} (parent)", Method: http.MethodPatch, Path: "/api/v1/students/" + id, Token: p.Token,
		Body: map[string]any{"notes": fmt.Sprintf("Practises every day (soak %d).", s.seq.Add(1))}, Want: []int{200}}, nil)
}

func (s *soak) adminEditStudent() {
	st := pick(s.parent().Students)
	s.do(call{Endpoint: "PATCH /api/v1/students/{id} (admin)", Method: http.MethodPatch, Path: "/api/v1/students/" + st.ID, Token: s.cast.Admin.Token,
		Body: map[string]any{"level": pick([]string{"beginner", "intermediate", "advanced"})}, Want: []int{200}}, nil)
}

// bookMakeup: a parent looks at its make-up credits and, with one open,
// books a make-up in a free slot of any teacher of the student's
// instrument.
func (s *soak) bookMakeup() {
	p := s.parent()
	f := url.QueryEscape(fmt.Sprintf("used_by = '' && revoked_at = '' && expires > '%s'", dbTime(time.Now().Add(time.Hour))))
	var credits struct {
		Items []struct {
			Student string `json:"student"`
		} `json:"items"`
	}
	if !s.do(get("GET /api/collections/makeup_credits/records (parent)", "/api/collections/makeup_credits/records?perPage=10&skipTotal=1&filter="+f, p.Token), &credits) {
		return
	}
	for _, cr := range credits.Items {
		for _, st := range p.Students {
			if st.ID != cr.Student {
				continue
			}
			sl, found := s.freeSlot("parent", p.Token, st.Instrument, "", 3, 10, 30)
			if !found {
				return
			}
			var out struct {
				ID string `json:"id"`
			}
			if s.do(call{Endpoint: "POST /api/v1/lessons make-up (parent)", Method: http.MethodPost, Path: "/api/v1/lessons", Token: p.Token,
				Body: map[string]any{"teacher": sl.Teacher, "student": st.ID, "instrument": st.Instrument, "start": sl.Start.Format(time.RFC3339),
					"minutes": 30, "kind": "makeup"}, Want: []int{201}, Conflict: true}, &out) {
				s.put(&s.familyPool, lesson{ID: out.ID, Teacher: sl.Teacher, Student: st.ID, Instrument: st.Instrument, Start: sl.Start, End: sl.End})
			}
			return
		}
	}
}

// enroll: a parent enrolls a new child with a trial in a free slot, a
// plan and a card (billing online against the Stripe stand-in).
func (s *soak) enroll() {
	p := s.parent()
	instrument := pick(p.Students).Instrument
	sl, found := s.freeSlot("parent", p.Token, instrument, "", 3, 10, 30)
	if !found {
		return
	}
	s.do(call{Endpoint: "POST /api/v1/enrollments (parent)", Method: http.MethodPost, Path: "/api/v1/enrollments", Token: p.Token,
		Body: map[string]any{
			"student": map[string]any{"first_name": "Newcomer", "last_name": fmt.Sprintf("Soak %d", s.seq.Add(1)), "birth_date": "2014-03-01",
				"instrument": instrument, "level": "beginner"},
			"plan": s.cast.Plan, "trial": map[string]any{"teacher": sl.Teacher, "start": sl.Start.Format(time.RFC3339)},
			"payment_method": "pm_card_visa",
		},
		// 201: the run completed within the route's default wait (2 s);
		// 202: it goes on in the workers.
		Want: []int{201, 202}, Conflict: true}, nil)
}

func (s *soak) writeNotes() {
	t := pick(s.cast.Teachers)
	if len(t.Lessons) == 0 {
		return
	}
	l := pick(t.Lessons)
	s.do(call{Endpoint: "PATCH /api/v1/lessons/{id} notes (teacher)", Method: http.MethodPatch, Path: "/api/v1/lessons/" + l.ID, Token: t.Token,
		Body: map[string]any{"teacher_notes": fmt.Sprintf("Scales, then the new piece (soak %d).", s.seq.Add(1))}, Want: []int{200}}, nil)
}

// bookLesson: the office books a regular lesson for a family's student in
// a free slot.
func (s *soak) bookLesson() {
	st := pick(s.parent().Students)
	admin := s.cast.Admin.Token
	sl, found := s.freeSlot("admin", admin, st.Instrument, "", 3, 9, 30)
	if !found {
		return
	}
	var out struct {
		ID string `json:"id"`
	}
	if s.do(call{Endpoint: "POST /api/v1/lessons (admin)", Method: http.MethodPost, Path: "/api/v1/lessons", Token: admin,
		Body: map[string]any{"teacher": sl.Teacher, "student": st.ID, "instrument": st.Instrument, "start": sl.Start.Format(time.RFC3339),
			"minutes": 30, "kind": "regular"}, Want: []int{201}, Conflict: true}, &out) {
		s.put(&s.familyPool, lesson{ID: out.ID, Teacher: sl.Teacher, Student: st.ID, Instrument: st.Instrument, Start: sl.Start, End: sl.End})
	}
}

// moveLesson: the office moves another family's lesson to a free slot of
// the same teacher, a few days later.
func (s *soak) moveLesson() {
	l, found := s.take(&s.otherPool)
	if !found {
		return
	}
	defer func() { s.put(&s.otherPool, l) }()
	admin := s.cast.Admin.Token
	minutes := int(l.End.Sub(l.Start) / time.Minute)
	offset := int(time.Until(l.Start).Hours()/24) + 1
	sl, found := s.freeSlot("admin", admin, l.Instrument, l.Teacher, offset, offset+6, minutes)
	if !found {
		return
	}
	if s.do(call{Endpoint: "PATCH /api/v1/lessons/{id} move (admin)", Method: http.MethodPatch, Path: "/api/v1/lessons/" + l.ID, Token: admin,
		Body: map[string]any{"start": sl.Start.Format(time.RFC3339)}, Want: []int{200}, Conflict: true}, nil) {
		l.Start, l.End = sl.Start, sl.End
	}
}

// cancelLesson: the office cancels a family's lesson (the make-up policy
// gives the family a credit, which its parent then spends).
func (s *soak) cancelLesson() {
	l, found := s.take(&s.familyPool)
	if !found {
		return
	}
	s.do(call{Endpoint: "POST /api/v1/lessons/{id}/cancel (admin)", Method: http.MethodPost, Path: "/api/v1/lessons/" + l.ID + "/cancel",
		Token: s.cast.Admin.Token, Body: map[string]any{"cancelled_by": "academy"}, Want: []int{200}}, nil)
}

// startReminders: the office's automation (a superuser token) starts a
// lesson_reminders run for the next quarter hour of lessons, walking
// through the year: mail for the outbox and mailpit.
func (s *soak) startReminders() {
	n := s.reminderSeq.Add(1)
	from := s.reminderFrom.Add(time.Duration(n-1) * 15 * time.Minute)
	s.do(call{Endpoint: "POST /api/v1/workflows/runs lesson_reminders (superuser)", Method: http.MethodPost, Path: "/api/v1/workflows/runs?wait=0",
		Token: s.cast.Superuser.Token, Body: map[string]any{"workflow": "lesson_reminders", "idempotency_key": fmt.Sprintf("soak-reminders-%d-%d", s.reminderFrom.Unix(), n),
			"input": map[string]any{"from": from.Format(time.RFC3339), "to": from.Add(15 * time.Minute).Format(time.RFC3339)}},
		Want: []int{200, 202}}, nil)
}

// withWriteShare scales the writes' weights so that they make share of the
// requests (a write action's slot lookup counts as a write's request: it is
// part of booking).
func withWriteShare(as []action, share float64) []action {
	var reads, writes float64
	for _, a := range as {
		if a.Write {
			writes += float64(a.Weight) * a.Requests
		} else {
			reads += float64(a.Weight) * a.Requests
		}
	}
	scale := share / (1 - share) * reads / writes
	out := make([]action, len(as))
	for i, a := range as {
		if a.Write {
			a.Weight = max(1, int(float64(a.Weight)*scale*10+0.5))
		} else {
			a.Weight *= 10
		}
		out[i] = a
	}
	return out
}

// writeShare is the share of requests the writes of as make.
func writeShare(as []action) float64 {
	var all, writes float64
	for _, a := range as {
		all += float64(a.Weight) * a.Requests
		if a.Write {
			writes += float64(a.Weight) * a.Requests
		}
	}
	return writes / all
}

// chooser returns a picker of actions by weight, and the mean number of
// requests per action (to pace actions so that requests come at the rate).
func chooser(as []action) (func() action, float64) {
	total, reqs := 0, 0.0
	for _, a := range as {
		total += a.Weight
		reqs += float64(a.Weight) * a.Requests
	}
	return func() action {
		n := rand.IntN(total)
		for _, a := range as {
			if n < a.Weight {
				return a
			}
			n -= a.Weight
		}
		return as[len(as)-1]
	}, reqs / float64(total)
}
