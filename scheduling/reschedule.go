package scheduling

import (
	"fmt"
	"time"
)

// Reschedule is a change of a scheduled lesson's time: From is where it
// was, To where it goes. Who may move a lesson at all is the collection
// rules' decision; this is when the family may, which a rule cannot say
// (it needs the academy's notice and arithmetic on times).
type Reschedule struct {
	By       Mover
	From, To Interval
	Now      time.Time
	Notice   time.Duration // the academy's cancellation notice
}

// Refusal codes of a reschedule.
const (
	CodeMoveTooLate  = "lesson_move_too_late"
	CodeLengthIsKept = "lesson_length_is_kept"
)

// Check rules on the reschedule; nil means it may happen. A family moves
// its own lesson with at least the notice the academy asks for a
// cancellation (the same promise: the teacher's hour can still be given to
// someone else) and keeps its length, which the plan pays for. Whether the
// new time is free and in the future is the calendar check's, for everyone.
func (r Reschedule) Check() *Refusal {
	if r.By != MoverFamily {
		return nil
	}
	if r.To.End.Sub(r.To.Start) != r.From.End.Sub(r.From.Start) {
		return &Refusal{Code: CodeLengthIsKept, Field: "end",
			Message: fmt.Sprintf("A family moves a lesson without changing its length (%s): ask the academy for a longer or shorter lesson.", durationWords(r.From.End.Sub(r.From.Start)))}
	}
	if !r.From.Start.After(r.Now) {
		return &Refusal{Code: CodeMoveTooLate, Field: "start", Message: "The lesson has already started: only the academy can move it now."}
	}
	if r.From.Start.Sub(r.Now) < r.Notice {
		return &Refusal{Code: CodeMoveTooLate, Field: "start",
			Message: fmt.Sprintf("A lesson can be moved up to %s before it starts; this one starts in %s. Ask the academy, or cancel it.", durationWords(r.Notice), durationWords(r.From.Start.Sub(r.Now)))}
	}
	return nil
}

// durationWords says a duration the way a parent would: "24 hours",
// "2 days", "45 minutes", "1 hour 30 minutes", counting whole minutes (a
// lesson 23h59m58s away starts in 23 hours 59 minutes, not 24 hours).
func durationWords(d time.Duration) string {
	d = d.Truncate(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	if days >= 2 && hours == 0 && minutes == 0 {
		return plural(days, "day")
	}
	hours += 24 * days
	switch {
	case hours == 0:
		return plural(minutes, "minute")
	case minutes == 0:
		return plural(hours, "hour")
	}
	return plural(hours, "hour") + " " + plural(minutes, "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
