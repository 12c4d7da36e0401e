package sim

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// model.go: what the server acknowledged, as the driver saw it.

type lesson struct {
	id, teacher, student string
	start                time.Time
	kind, status         string
	series               string
	// unsure: the request that last changed it was cut by a kill; the
	// server's answer decides, read back by reconcile.
	unsure bool
}

func (l *lesson) live() bool { return l.status != "cancelled" }

type student struct {
	id, family, instrument string
	name                   string
	enrollment             string // its enrollment record, when it came by one
	subscription           string
	plan                   string
	withdrawn              bool
	cell                   *cell // its weekly slot
	teacher                string
	credits                int // open make-up credits the model expects
}

type payment struct {
	id, family, intent string
	amount, refunded   int64
	disputed           bool
}

type family struct {
	id, email, token string
	customer         string // Stripe customer, once billing made one
	paid             int64  // card payments acknowledged as succeeded
}

type model struct {
	mu       sync.Mutex
	lessons  map[string]*lesson
	students map[string]*student
	families []*family
	payments []*payment
	// closed days (academy time) and teachers' days off.
	closed  map[string]bool
	daysOff map[string]bool // teacher + " " + date
	taken   map[string]int  // teacher or student + unix start → live lessons
}

func newModel() *model {
	return &model{lessons: map[string]*lesson{}, students: map[string]*student{}, closed: map[string]bool{}, daysOff: map[string]bool{}, taken: map[string]int{}}
}

// busy says whether teacher or student has a live lesson at start.
func (m *model) busy(teacher, student string, start time.Time) bool {
	u := start.Unix()
	return m.taken[fmt.Sprint(teacher, u)] > 0 || m.taken[fmt.Sprint(student, u)] > 0
}

// add puts a lesson the server acknowledged into the model.
func (m *model) add(l *lesson) {
	if old, ok := m.lessons[l.id]; ok {
		m.set(old, l.status)
		return
	}
	m.lessons[l.id] = l
	if l.live() {
		m.occupy(l, 1)
	}
}

// set changes a lesson's status, keeping the index of taken starts.
func (m *model) set(l *lesson, status string) {
	if l.live() {
		m.occupy(l, -1)
	}
	l.status = status
	if l.live() {
		m.occupy(l, 1)
	}
}

// remove forgets a lesson the server deleted.
func (m *model) remove(l *lesson) {
	if l.live() {
		m.occupy(l, -1)
	}
	delete(m.lessons, l.id)
}

func (m *model) occupy(l *lesson, d int) {
	u := l.start.Unix()
	m.taken[fmt.Sprint(l.teacher, u)] += d
	m.taken[fmt.Sprint(l.student, u)] += d
}

// blocked says whether a day is closed for the teacher.
func (m *model) blocked(cal *calendar, teacher string, start time.Time) bool {
	date := cal.localDate(start)
	return m.closed[date] || m.daysOff[teacher+" "+date]
}

// liveOf lists a student's live lessons from after, by start.
func (m *model) liveOf(student string, after time.Time) []*lesson {
	var out []*lesson
	for _, l := range m.lessons {
		if l.student == student && l.live() && l.start.After(after) {
			out = append(out, l)
		}
	}
	sortLessons(out)
	return out
}

// on lists the live lessons of a day (teacher "" = every teacher).
func (m *model) on(cal *calendar, date, teacher string) []*lesson {
	var out []*lesson
	for _, l := range m.lessons {
		if l.live() && cal.localDate(l.start) == date && (teacher == "" || l.teacher == teacher) {
			out = append(out, l)
		}
	}
	sortLessons(out)
	return out
}

func sortLessons(ls []*lesson) {
	sort.Slice(ls, func(i, j int) bool {
		if !ls[i].start.Equal(ls[j].start) {
			return ls[i].start.Before(ls[j].start)
		}
		return ls[i].id < ls[j].id
	})
}

// sortedStudents is every student in id order (map order must not reach
// the PRNG's choices).
func (m *model) sortedStudents() []*student {
	out := make([]*student, 0, len(m.students))
	for _, s := range m.students {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
