package cli

import (
	"fmt"
	"time"
)

// The demo calendar works on civil dates (midnight UTC stands for a local
// calendar day) so that adding days never crosses a daylight-saving change;
// only a lesson's final wall-clock time is turned into an instant, in the
// academy's zone.

func civilDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// mondayOnOrAfter returns the first Monday on or after the civil date.
func mondayOnOrAfter(year int, month time.Month, day int) time.Time {
	d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, (int(time.Monday)-int(d.Weekday())+7)%7)
}

// nthWeekday returns the n-th weekday of the month (n from 1).
func nthWeekday(year int, month time.Month, weekday time.Weekday, n int) time.Time {
	d := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, (int(weekday)-int(d.Weekday())+7)%7+7*(n-1))
}

// termStart returns the Monday that opens the term containing today, or the
// next term when today falls between terms. Terms open after Labour Day, in
// early January and in early May; the same day always yields the same term,
// which keeps the demo load idempotent.
func termStart(today time.Time, weeks int) time.Time {
	var next time.Time
	for y := today.Year() - 1; y <= today.Year()+1; y++ {
		for _, start := range []time.Time{mondayOnOrAfter(y, time.January, 6), mondayOnOrAfter(y, time.May, 4), mondayOnOrAfter(y, time.September, 8)} {
			end := start.AddDate(0, 0, 7*weeks)
			if !start.After(today) && today.Before(end) {
				return start
			}
			if start.After(today) && (next.IsZero() || start.Before(next)) {
				next = start
			}
		}
	}
	return next
}

// schoolYearStart returns the Monday that opened the school year containing
// today.
func schoolYearStart(today time.Time) time.Time {
	start := mondayOnOrAfter(today.Year(), time.September, 8)
	if start.After(today) {
		start = mondayOnOrAfter(today.Year()-1, time.September, 8)
	}
	return start
}

// closuresBetween lists the academy's usual closures (British Columbia
// holidays and school breaks) that touch the civil dates from..to.
func closuresBetween(from, to time.Time) []demoClosure {
	var out []demoClosure
	for y := from.Year() - 1; y <= to.Year(); y++ {
		spring := mondayOnOrAfter(y+1, time.March, 15)
		victoria := time.Date(y+1, time.May, 24, 0, 0, 0, 0, time.UTC)
		victoria = victoria.AddDate(0, 0, -((int(victoria.Weekday()) + 6) % 7)) // the Monday on or before May 24
		for _, c := range []demoClosure{
			{fmt.Sprintf("Thanksgiving %d", y), nthWeekday(y, time.October, time.Monday, 2), nthWeekday(y, time.October, time.Monday, 2)},
			{fmt.Sprintf("Remembrance Day %d", y), day(y, time.November, 11), day(y, time.November, 11)},
			{fmt.Sprintf("Winter break %d–%d", y, y+1), day(y, time.December, 21), day(y+1, time.January, 3)},
			{fmt.Sprintf("Family Day %d", y+1), nthWeekday(y+1, time.February, time.Monday, 3), nthWeekday(y+1, time.February, time.Monday, 3)},
			{fmt.Sprintf("Spring break %d", y+1), spring, spring.AddDate(0, 0, 13)},
			{fmt.Sprintf("Victoria Day %d", y+1), victoria, victoria},
			{fmt.Sprintf("Canada Day %d", y+1), day(y+1, time.July, 1), day(y+1, time.July, 1)},
		} {
			if !c.To.Before(from) && !c.From.After(to) {
				out = append(out, c)
			}
		}
	}
	return out
}

func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 0, 0, 0, 0, time.UTC)
}

// localMidnight is the instant a civil date begins in zone.
func localMidnight(date time.Time, zone *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, zone).UTC()
}
