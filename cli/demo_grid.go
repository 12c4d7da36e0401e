package cli

import (
	"fmt"
	"slices"
	"time"

	"cedarheights/scheduling"
)

// demo_grid.go: the timetable of the "scale" academy (issue 14: ten times
// the seed, 10,000 lessons a day). Every teacher teaches every day of the
// week in one window cut into equal places; a place is long enough for the
// longest lesson plus the academy's buffer, so two lessons of a teacher
// never touch. Each day's places are dealt to the active students in turn,
// place column by place column: a column holds one lesson per teacher, and
// there are fewer teachers than active students, so a student never has two
// lessons in one column, hence never two at once. Conflict-free by
// construction; the tests run the app's own conflict check over a sample.

// demoGrid shapes that timetable.
type demoGrid struct {
	Places int              // lessons a teacher gives a day
	First  scheduling.Clock // start of the first place
	Step   int              // minutes from one place to the next
}

// window is the teacher's daily availability: every place, and one more
// before the first that stays free, so that families still find times.
func (g demoGrid) window(weekday time.Weekday) demoWindow {
	return demoWindow{Weekday: weekday, Start: g.First - scheduling.Clock(g.Step), End: g.First + scheduling.Clock(g.Places*g.Step)}
}

// demoPlacement is one weekly lesson of a student: its slot, teacher
// (index into Teachers), the instrument it teaches and the enrollment's
// pricing plan.
type demoPlacement struct {
	Slot       demoSlot
	Teacher    int
	Instrument string
	Plan       string
}

// Placements are the student's weekly lessons: the one of Slot (the bench
// and demo sizes) and, on the grid, the others.
func (s demoStudent) Placements() []demoPlacement {
	if s.Slot == nil {
		return nil
	}
	return append([]demoPlacement{{Slot: *s.Slot, Teacher: s.Teacher, Instrument: s.Instrument, Plan: s.Plan}}, s.Extra...)
}

// gridTeacher is newDemoTeacher with the grid's week: every day, and room
// for the students the grid gives it.
func gridTeacher(i int, g demoGrid) demoTeacher {
	t := newDemoTeacher(i)
	t.Windows = nil
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		t.Windows = append(t.Windows, g.window(d))
	}
	t.Capacity = 200
	return t
}

// placeStudentsOnGrid is placeStudents for the grid: the same students
// (families, names, statuses, levels) with many weekly lessons each.
func (p *demoPlan) placeStudentsOnGrid(g demoGrid) {
	p.placeStudents(0) // names, families and statuses as every size has them
	var active []int
	for i := range p.Students {
		s := &p.Students[i]
		s.Slot, s.Extra, s.Plan = nil, nil, ""
		if s.Status == "prospect" {
			s.Teacher = -1
		}
		if s.Status == "active" {
			active = append(active, i)
		}
	}
	teachers := len(p.Teachers)
	if len(active) < teachers {
		panic(fmt.Sprintf("demo grid: %d active students for %d teachers: a place column would seat a student twice", len(active), teachers))
	}
	perDay := teachers * g.Places
	for d, weekday := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		for k := range perDay {
			column, t := k/teachers, k%teachers
			i := active[(k+d*teachers/2)%len(active)]
			s, tc := &p.Students[i], p.Teachers[t]
			minutes := tc.Lengths[(column+t)%len(tc.Lengths)]
			placed := demoPlacement{
				Slot:       demoSlot{Weekday: weekday, Start: g.First + scheduling.Clock(column*g.Step), Minutes: minutes},
				Teacher:    t,
				Instrument: tc.Instruments[0],
				Plan:       pricePlanName([]string{"month", "month", "month", "semester", "school_year"}[i%5], minutes),
			}
			if s.Slot == nil { // the first is the student's own: its teacher and instrument
				s.Slot, s.Teacher, s.Instrument, s.Plan = &placed.Slot, t, tc.Instruments[0], placed.Plan
				if !slices.Contains(tc.Levels, s.Level) {
					s.Level = tc.Levels[0]
				}
				s.BirthDate = p.birthDate(i, minAge(s.Instrument))
				continue
			}
			if slices.Contains(tc.Instruments, s.Instrument) {
				placed.Instrument = s.Instrument
			}
			s.Extra = append(s.Extra, placed)
		}
	}
}
