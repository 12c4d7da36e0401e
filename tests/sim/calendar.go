package sim

import (
	"fmt"
	"time"
)

// calendar.go: the simulated school year. Week 0 starts on the Monday at
// least three days from now (academy time); every lesson the driver books
// starts on a grid, so the model knows exactly which bookings collide:
// weekdays 15:00 + 40 min × k (k < 8), Saturdays 09:00 + 40 min × k
// (k < 7), 30-minute lessons, the academy's 10-minute buffer between.

const (
	lessonMinutes = 30
	gridStep      = 40 * time.Minute
	bufferMinutes = 10
	noticeHours   = 24
)

type calendar struct {
	zone   *time.Location
	anchor time.Time // Monday 00:00 of week 0, academy time
}

func newCalendar(now time.Time) (*calendar, error) {
	zone, err := time.LoadLocation(Zone)
	if err != nil {
		return nil, err
	}
	d := now.In(zone).AddDate(0, 0, 3)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return &calendar{zone: zone, anchor: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)}, nil
}

// cell is one place on the weekly grid: day 0 = Monday … 5 = Saturday.
type cell struct {
	day, k int
}

func (c cell) String() string { return fmt.Sprintf("%s#%d", time.Weekday((c.day+1)%7), c.k) }

// cells per day: weekdays 8, Saturday 7.
func cellsOn(day int) int {
	if day == 5 {
		return 7
	}
	return 8
}

// at is the cell's start in week w (a UTC instant; wall-clock kept across
// daylight-saving changes).
func (cal *calendar) at(w int, c cell) time.Time {
	d := cal.anchor.AddDate(0, 0, 7*w+c.day)
	hour := 15
	switch c.day {
	case 5:
		hour = 9
	case 6:
		hour = 10 // Sunday: only when a teacher's week has its Sunday window
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, cal.zone).Add(time.Duration(c.k) * gridStep).UTC()
}

// day is the local date of day d of week w.
func (cal *calendar) day(w, d int) string {
	return cal.anchor.AddDate(0, 0, 7*w+d).Format(time.DateOnly)
}

// localDate is the academy-time date of an instant.
func (cal *calendar) localDate(t time.Time) string { return t.In(cal.zone).Format(time.DateOnly) }

// dayBounds is the local day as UTC instants [start, end).
func (cal *calendar) dayBounds(date string) (time.Time, time.Time) {
	d, _ := time.ParseInLocation(time.DateOnly, date, cal.zone)
	return d.UTC(), d.AddDate(0, 0, 1).UTC()
}

// offsetChanges counts the changes of the zone's offset a weekly series
// spans (2: both daylight-saving changes).
func (cal *calendar) offsetChanges(first time.Time, weeks int) int {
	n := 0
	_, prev := first.In(cal.zone).Zone()
	for i := 1; i < weeks; i++ {
		_, off := first.In(cal.zone).AddDate(0, 0, 7*i).Zone()
		if off != prev {
			n++
		}
		prev = off
	}
	return n
}
