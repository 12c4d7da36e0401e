package scheduling

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// LessonStatus is where a lesson stands in its lifecycle.
type LessonStatus string

const (
	LessonNew       LessonStatus = "" // not saved yet
	LessonScheduled LessonStatus = "scheduled"
	LessonCompleted LessonStatus = "completed"
	LessonNoShow    LessonStatus = "no_show"
	LessonCancelled LessonStatus = "cancelled"
)

// Attended says whether the status records what happened at the lesson,
// which can only be known once it has started.
func (s LessonStatus) Attended() bool {
	return s == LessonCompleted || s == LessonNoShow
}

// Known says whether s is a status the lessons collection holds.
func (s LessonStatus) Known() bool {
	switch s {
	case LessonScheduled, LessonCompleted, LessonNoShow, LessonCancelled:
		return true
	}
	return false
}

// Mover is who moves a lesson, seen from that lesson.
type Mover string

const (
	MoverAdmin   Mover = "admin"   // an academy admin, or a superuser in the admin UI
	MoverTeacher Mover = "teacher" // the lesson's own teacher
	MoverFamily  Mover = "family"  // the parent of the lesson's student
	MoverSystem  Mover = "system"  // Go code: the CLI, workflows
	MoverOther   Mover = "other"   // anyone else: another teacher or family, a guest
)

// When bounds a transition by the lesson's start.
type When int

const (
	Anytime     When = iota
	AfterStart       // start <= now: attendance is known only once the lesson starts
	BeforeStart      // start > now
)

// Transition is one edge of the lifecycle: who may take it, and when.
type Transition struct {
	From, To LessonStatus
	By       []Mover
	When     When
}

var (
	staff     = []Mover{MoverTeacher, MoverAdmin, MoverSystem}
	academyOf = []Mover{MoverAdmin, MoverSystem}
)

// LessonLifecycle is every move a lesson's status may make. Anything not
// listed is refused, on every write path. A cancelled lesson leaves
// cancelled only back to scheduled, by the academy (a reinstatement, which
// takes back the make-up credit the cancellation granted). A family books
// only ahead of the start; which kind it may book (a make-up, spending a
// credit) is the lessons CreateRule's decision, not the lifecycle's.
var LessonLifecycle = []Transition{
	{LessonNew, LessonScheduled, academyOf, Anytime},
	{LessonNew, LessonScheduled, []Mover{MoverFamily}, BeforeStart},
	{LessonNew, LessonCompleted, academyOf, AfterStart},
	{LessonNew, LessonNoShow, academyOf, AfterStart},
	{LessonNew, LessonCancelled, academyOf, Anytime},

	{LessonScheduled, LessonCompleted, staff, AfterStart},
	{LessonScheduled, LessonNoShow, staff, AfterStart},
	{LessonScheduled, LessonCancelled, []Mover{MoverFamily}, BeforeStart},
	{LessonScheduled, LessonCancelled, academyOf, Anytime},

	// Corrections of the attendance record.
	{LessonCompleted, LessonNoShow, staff, AfterStart},
	{LessonNoShow, LessonCompleted, staff, AfterStart},
	{LessonCompleted, LessonScheduled, staff, Anytime},
	{LessonNoShow, LessonScheduled, staff, Anytime},
	{LessonCompleted, LessonCancelled, academyOf, Anytime},
	{LessonNoShow, LessonCancelled, academyOf, Anytime},

	{LessonCancelled, LessonScheduled, academyOf, Anytime}, // reinstatement
}

// LessonMove is one write of a lesson's status: From == To for a write that
// keeps the status (then only the start may matter).
type LessonMove struct {
	From, To   LessonStatus
	By         Mover
	Start, Now time.Time
}

// Reinstates says whether the move takes a cancelled lesson back into the
// calendar.
func (m LessonMove) Reinstates() bool {
	return m.From == LessonCancelled && m.To == LessonScheduled
}

// Refusal is why the lifecycle refuses a move. Forbidden: the mover may
// never make it (otherwise the lesson's state or time is wrong for it).
// Field is the lesson field the refusal is about: "" means status.
type Refusal struct {
	Code      string
	Message   string
	Forbidden bool
	Field     string
}

func (r *Refusal) Error() string { return r.Message }

// Refusal codes.
const (
	CodeNoSuchTransition = "lesson_no_such_transition"
	CodeNotYours         = "lesson_transition_not_allowed"
	CodeNotStarted       = "lesson_not_started"
	CodeStarted          = "lesson_already_started"
)

// Check rules on the move; nil means it may happen.
func (m LessonMove) Check() *Refusal {
	if m.From == m.To {
		// No transition; an attended lesson may still not move to the future.
		if m.To.Attended() && m.Start.After(m.Now) {
			return notStarted(m.To)
		}
		return nil
	}
	var edges []Transition
	for _, t := range LessonLifecycle {
		if t.From == m.From && t.To == m.To {
			edges = append(edges, t)
		}
	}
	if len(edges) == 0 {
		return noSuchTransition(m.From, m.To)
	}
	var allowed []string
	for _, t := range edges {
		if !slices.Contains(t.By, m.By) {
			for _, by := range t.By {
				allowed = append(allowed, string(by))
			}
			continue
		}
		switch {
		case t.When == AfterStart && m.Start.After(m.Now):
			return notStarted(m.To)
		case t.When == BeforeStart && !m.Start.After(m.Now):
			if m.From == LessonNew {
				return &Refusal{Code: CodeStarted, Field: "start", Message: "The time has passed: a family books only lessons that start in the future."}
			}
			return &Refusal{Code: CodeStarted, Message: "The lesson has already started: only the academy can cancel it now."}
		}
		return nil
	}
	return &Refusal{Code: CodeNotYours, Forbidden: true,
		Message: fmt.Sprintf("%s may not move a lesson from %s to %s (who may: %s).", moverName(m.By), statusName(m.From), statusName(m.To), strings.Join(allowed, ", "))}
}

func notStarted(to LessonStatus) *Refusal {
	return &Refusal{Code: CodeNotStarted, Message: fmt.Sprintf("The lesson has not started yet: it can be marked %s once it starts.", to)}
}

func noSuchTransition(from, to LessonStatus) *Refusal {
	msg := fmt.Sprintf("A lesson cannot go from %s to %s.", statusName(from), statusName(to))
	if from == LessonCancelled {
		msg = "A cancelled lesson stays cancelled unless an admin reinstates it (sets it back to scheduled)."
	}
	return &Refusal{Code: CodeNoSuchTransition, Message: msg}
}

func statusName(s LessonStatus) string {
	if s == LessonNew {
		return "new"
	}
	return string(s)
}

func moverName(m Mover) string {
	switch m {
	case MoverTeacher:
		return "The lesson's teacher"
	case MoverFamily:
		return "The family"
	case MoverOther:
		return "Someone other than the lesson's teacher, family or an admin"
	}
	return "The " + string(m)
}
