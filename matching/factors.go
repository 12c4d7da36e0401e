package matching

import (
	"fmt"
	"slices"
	"time"

	"cedarheights/scheduling"
)

// Factor names and their weights in points (see doc.go).
const (
	FactorFit              = "fit"
	FactorTimes            = "times"
	FactorLoad             = "load"
	FactorPreferredTeacher = "preferred_teacher"
	FactorSiblings         = "siblings"

	WeightFit              = 10
	WeightFitUnlisted      = 5
	WeightTimes            = 40
	WeightLoad             = 20
	WeightPreferredTeacher = 25
	WeightSiblings         = 15
	WeightSiblingsApart    = 5
)

// Factor is one reason behind a score, with its points (of Max) and a
// sentence for parents.
type Factor struct {
	Name   string  `json:"name"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Text   string  `json:"text"`
}

// factor counts in tenths of a point, so equal inputs tie exactly.
type factor struct {
	name        string
	tenths, max int
	text        string
}

func (f factor) public() Factor {
	return Factor{Name: f.name, Points: float64(f.tenths) / 10, Max: float64(f.max) / 10, Text: f.text}
}

// share is weight × num/den in tenths, rounded half up.
func share(weight, num, den int) int {
	return (20*weight*num + den) / (2 * den)
}

func fitFactor(r Request, c Candidate) factor {
	f := factor{name: FactorFit, tenths: 10 * WeightFit, max: 10 * WeightFit}
	switch {
	case r.Level == "":
		f.text = "Teaches " + instrumentWord(r)
	case len(c.Levels) == 0:
		f.tenths = 10 * WeightFitUnlisted
		f.text = fmt.Sprintf("Teaches %s (has not listed the levels they teach)", instrumentWord(r))
	default:
		f.text = fmt.Sprintf("Teaches %s to %s", instrumentWord(r), levelNoun(r.Level))
	}
	return f
}

// timesResult is the times factor with what the tie-break and the slot
// suggestion need.
type timesResult struct {
	factor
	matched int
	overlap int // free minutes inside the preferred times
	fits    []option
}

func timesFactor(r Request, w week) timesResult {
	res := timesResult{factor: factor{name: FactorTimes, max: 10 * WeightTimes}}
	if len(r.Preferred) == 0 {
		var days []string
		for _, d := range weekOrder {
			if _, ok := earliestFit(w[d], 0, 24*60, r.Minutes); ok {
				days = append(days, dayPlural(d))
			}
		}
		res.text = fmt.Sprintf("Free on %s; tell us your preferred times to compare teachers", and(days))
		return res
	}
	for _, p := range r.Preferred {
		res.overlap += overlapMinutes(w[p.Weekday], p.Start, p.End)
		if start, ok := earliestFit(w[p.Weekday], p.Start, p.End, r.Minutes); ok {
			res.matched++
			res.fits = append(res.fits, option{day: p.Weekday, start: start, class: classPreferred, preferred: p})
		}
	}
	res.tenths = share(WeightTimes, res.matched, len(r.Preferred))
	sortOptions(res.fits)
	var times []string
	for _, o := range res.fits {
		if t := at(o.day, o.start); !slices.Contains(times, t) {
			times = append(times, t)
		}
	}
	total := len(r.Preferred)
	switch {
	case res.matched == 0:
		res.text = "Not free at any of your preferred times"
	case total == 1:
		res.text = "Free at your preferred time: " + and(times)
	case res.matched == total:
		res.text = fmt.Sprintf("Free at all %d of your preferred times: %s", total, and(times))
	default:
		res.text = fmt.Sprintf("Free at %d of your %d preferred times: %s", res.matched, total, and(times))
	}
	return res
}

// loadFactor assumes a qualified candidate (Active < Capacity).
func loadFactor(c Candidate) factor {
	room := c.Capacity - c.Active
	return factor{
		name: FactorLoad, max: 10 * WeightLoad,
		tenths: share(WeightLoad, room, c.Capacity),
		text:   fmt.Sprintf("Has room for %s (%d of %d places taken)", plural(room, "more student", "more students"), c.Active, c.Capacity),
	}
}

// preferredFactor is left out (ok false) when the family named no teacher.
func preferredFactor(r Request, c Candidate) (factor, bool) {
	if r.PreferredTeacher == "" {
		return factor{}, false
	}
	f := factor{name: FactorPreferredTeacher, max: 10 * WeightPreferredTeacher, text: "Not the teacher you asked for"}
	if r.PreferredTeacher == c.Teacher.ID {
		f.tenths, f.text = 10*WeightPreferredTeacher, "Your preferred teacher"
	}
	return f, true
}

// siblingsResult is the siblings factor with the back-to-back slots found.
type siblingsResult struct {
	factor
	next []option
}

// siblingsFactor is left out (ok false) when no sibling is enrolled. A
// sibling's lesson with this teacher counts fully when a lesson can start
// right after it (or end right before it), the teacher's buffer apart.
func siblingsFactor(r Request, c Candidate, w week, buffer time.Duration) (siblingsResult, bool) {
	if len(r.Siblings) == 0 {
		return siblingsResult{}, false
	}
	res := siblingsResult{factor: factor{name: FactorSiblings, max: 10 * WeightSiblings}}
	pad := scheduling.Clock(buffer / time.Minute)
	length := scheduling.Clock(r.Minutes)
	var taught []Sibling
	for _, s := range r.Siblings {
		if s.Teacher != c.Teacher.ID {
			continue
		}
		taught = append(taught, s)
		spans := w[s.Lesson.Weekday]
		if after := s.Lesson.End + pad; freeAt(spans, after, r.Minutes) {
			res.next = append(res.next, siblingOption(r, s, after, true))
		}
		if before := s.Lesson.Start - pad - length; before >= 0 && freeAt(spans, before, r.Minutes) {
			res.next = append(res.next, siblingOption(r, s, before, false))
		}
	}
	sortOptions(res.next)
	switch {
	case len(taught) == 0:
		if names := siblingNames(r.Siblings); len(names) > 0 {
			res.text = "Does not teach " + or(names)
		} else {
			res.text = "Does not teach your other children"
		}
	case len(res.next) == 0:
		slices.SortFunc(taught, func(a, b Sibling) int { return compareWeekly(a.Lesson, b.Lesson) })
		s := taught[0]
		res.tenths = 10 * WeightSiblingsApart
		res.text = fmt.Sprintf("Teaches %s (%s at %s), but has no free time right next to that lesson",
			siblingName(s), dayPlural(s.Lesson.Weekday), s.Lesson.Start)
	default:
		o := res.next[0]
		res.tenths = 10 * WeightSiblings
		side := "before"
		if o.after {
			side = "after"
		}
		res.text = fmt.Sprintf("Teaches %s on %s at %s — %s could be right %s, at %s",
			siblingName(o.sibling), dayPlural(o.day), o.sibling.Lesson.Start, newLesson(r), side, o.start)
	}
	return res, true
}

func siblingOption(r Request, s Sibling, start scheduling.Clock, after bool) option {
	o := option{day: s.Lesson.Weekday, start: start, class: classSibling, sibling: s, after: after}
	for _, p := range r.Preferred {
		if p.Weekday == o.day && p.Start <= start && start+scheduling.Clock(r.Minutes) <= p.End {
			o.class, o.preferred = classPreferredSibling, p
			break
		}
	}
	return o
}

func siblingName(s Sibling) string {
	if s.Name == "" {
		return "your other child"
	}
	return s.Name
}
