package matching

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"cedarheights/scheduling"
)

// MaxOtherSlots caps the alternatives listed beside the suggested slot.
const MaxOtherSlots = 4

// WeeksAhead bounds the search for a first occurrence free of time off and
// closures.
const WeeksAhead = 26

// Slot is a weekly lesson time offered to the family. First is its first
// occurrence on or after Request.From (zero when time off or closures cover
// every week within WeeksAhead); Why says why it is offered.
type Slot struct {
	Weekday time.Weekday
	Start   scheduling.Clock
	End     scheduling.Clock
	First   time.Time
	Why     string
}

// MarshalJSON writes times of day as HH:MM.
func (s Slot) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Weekday time.Weekday `json:"weekday"`
		Day     string       `json:"day"`
		Start   string       `json:"start"`
		End     string       `json:"end"`
		First   time.Time    `json:"first,omitzero"`
		Why     string       `json:"why"`
	}{s.Weekday, s.Weekday.String(), s.Start.String(), s.End.String(), s.First, s.Why})
}

// Option classes, best first.
const (
	classPreferredSibling = iota // inside a preferred time and next to a sibling's lesson
	classPreferred               // inside a preferred time
	classSibling                 // next to a sibling's lesson
	classFree                    // the teacher's free time
)

// option is a candidate slot before it gets its first date.
type option struct {
	day       time.Weekday
	start     scheduling.Clock
	class     int
	preferred scheduling.WeeklyWindow // for classPreferred*
	sibling   Sibling                 // for classSibling and classPreferredSibling
	after     bool                    // right after the sibling's lesson (else right before)
}

// weekOrder runs Monday to Sunday, the way the academy's week reads.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func dayRank(d time.Weekday) int { return (int(d) + 6) % 7 }

func sortOptions(opts []option) {
	slices.SortFunc(opts, func(a, b option) int {
		return cmp.Or(
			cmp.Compare(a.class, b.class),
			cmp.Compare(dayRank(a.day), dayRank(b.day)),
			cmp.Compare(a.start, b.start),
			cmp.Compare(a.sibling.Name, b.sibling.Name),
		)
	})
}

func compareWeekly(a, b scheduling.WeeklyWindow) int {
	return cmp.Or(cmp.Compare(dayRank(a.Weekday), dayRank(b.Weekday)), cmp.Compare(a.Start, b.Start))
}

// slotsFor ranks the options (adding the start of each free span as a last
// resort) and returns the suggestion and up to MaxOtherSlots others, one per
// weekday and time.
func slotsFor(a Academy, r Request, c Candidate, w week, opts []option) (Slot, []Slot) {
	for _, d := range weekOrder {
		for _, s := range w[d] {
			if s.start+scheduling.Clock(r.Minutes) <= s.end {
				opts = append(opts, option{day: d, start: s.start, class: classFree})
			}
		}
	}
	sortOptions(opts)
	var out []Slot
	seen := map[[2]int]bool{}
	for _, o := range opts {
		key := [2]int{int(o.day), int(o.start)}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Slot{
			Weekday: o.day, Start: o.start, End: o.start + scheduling.Clock(r.Minutes),
			First: firstOccurrence(a, r, c, o.day, o.start), Why: why(r, o),
		})
		if len(out) == 1+MaxOtherSlots {
			break
		}
	}
	if len(out) == 0 {
		return Slot{}, nil
	}
	return out[0], out[1:]
}

func why(r Request, o option) string {
	next := ""
	if o.class == classSibling || o.class == classPreferredSibling {
		next = "Right before " + siblingName(o.sibling) + "'s lesson"
		if o.after {
			next = "Right after " + siblingName(o.sibling) + "'s lesson"
		}
	}
	switch o.class {
	case classPreferredSibling:
		return next + ", within your preferred time " + window(o.preferred)
	case classPreferred:
		return "Within your preferred time " + window(o.preferred)
	case classSibling:
		return next
	}
	return "Free time on " + dayPlural(o.day)
}

// firstOccurrence is the first date on or after r.From on which the
// wall-clock time exists in the academy's zone (not in a daylight-saving
// gap) and the lesson meets neither the teacher's time off nor a closure.
func firstOccurrence(a Academy, r Request, c Candidate, day time.Weekday, start scheduling.Clock) time.Time {
	from := r.From.In(a.Zone)
	y, m, d := from.Date()
	d += (int(day) - int(from.Weekday()) + 7) % 7
	length := time.Duration(r.Minutes) * time.Minute
next:
	for week := 0; week <= WeeksAhead; week++ {
		t := time.Date(y, m, d+7*week, int(start)/60, int(start)%60, 0, 0, a.Zone)
		if t.Hour()*60+t.Minute() != int(start) || t.Before(r.From) {
			continue
		}
		lesson := scheduling.Interval{Start: t, End: t.Add(length)}
		for _, off := range c.Teacher.TimeOff {
			if off.Overlaps(lesson) {
				continue next
			}
		}
		for _, closed := range a.Closures {
			if closed.Overlaps(lesson) {
				continue next
			}
		}
		return t.UTC()
	}
	return time.Time{}
}
