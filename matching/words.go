package matching

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"cedarheights/scheduling"
)

// The sentences for parents are built here, so their wording stays in one
// place.

func dayShort(d time.Weekday) string { return d.String()[:3] }

func dayPlural(d time.Weekday) string { return d.String() + "s" }

// at is "Mon 16:00".
func at(d time.Weekday, c scheduling.Clock) string { return dayShort(d) + " " + c.String() }

// window is "Mon 16:00–18:00".
func window(w scheduling.WeeklyWindow) string { return at(w.Weekday, w.Start) + "–" + w.End.String() }

func instrumentWord(r Request) string {
	if r.InstrumentName == "" {
		return "this instrument"
	}
	return strings.ToLower(r.InstrumentName)
}

// levelNoun names the students of a level: "beginners", "advanced students".
func levelNoun(level string) string {
	if level == "beginner" {
		return "beginners"
	}
	return level + " students"
}

// newLesson is "Ben's lesson", or "the new lesson" without a name.
func newLesson(r Request) string {
	if r.Student == "" {
		return "the new lesson"
	}
	return r.Student + "'s lesson"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// and joins "a", "a and b", "a, b and c".
func and(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// or joins like and, with "or".
func or(items []string) string {
	if len(items) < 2 {
		return and(items)
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// siblingNames lists the siblings' names once each, sorted.
func siblingNames(sibs []Sibling) []string {
	var names []string
	for _, s := range sibs {
		if s.Name != "" && !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return names
}
