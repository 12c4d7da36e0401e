package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"cedarheights/scheduling"
)

// demoSize is how much academy the demo command loads.
type demoSize struct {
	Name     string
	Teachers int
	Families int
	Students int
	// Weeks of weekly lessons; SchoolYear anchors them on the school year's
	// start instead of the current term.
	Weeks      int
	SchoolYear bool
	// Grid, when set, lays the timetable on demoGrid (many weekly lessons
	// per student) and the loader writes the lessons in bulk.
	Grid *demoGrid
}

var demoSizes = map[string]demoSize{
	"demo":  {Name: "demo", Teachers: 8, Families: 60, Students: 100, Weeks: 15},
	"bench": {Name: "bench", Teachers: 50, Families: 3000, Students: 5000, Weeks: 52, SchoolYear: true},
	// Ten times the seed (issue 14): 1,000 teachers give ten lessons every
	// day of the week, 10,000 lessons a day, for the school year.
	"scale": {Name: "scale", Teachers: 1000, Families: 3000, Students: 5000, Weeks: 52, SchoolYear: true,
		Grid: &demoGrid{Places: 10, First: 10 * 60, Step: 70}},
}

// demoDomain keeps every demo account apart from real ones; ".test" is
// reserved and never delivers mail.
const demoDomain = "demo.cedarheights.test"

// demoPassword is shared by every demo account so that a newcomer (and the
// benchmark) can sign in as anyone.
const demoPassword = "cedar-demo-2026"

type demoUser struct {
	Email, Name, Role, Phone string
}

type demoInstrument struct {
	Name   string
	MinAge int
}

type demoWindow struct {
	Weekday    time.Weekday
	Start, End scheduling.Clock
}

type demoTeacher struct {
	User        demoUser
	DisplayName string
	Bio         string
	Instruments []string // names
	Lengths     []int    // lesson minutes offered
	Levels      []string
	Capacity    int
	Public      bool
	Windows     []demoWindow
}

// demoSlot is a student's fixed weekly lesson, in the academy's wall-clock
// time.
type demoSlot struct {
	Weekday time.Weekday
	Start   scheduling.Clock
	Minutes int
}

type demoStudent struct {
	Family     int // index into Families
	First      string
	Last       string
	BirthDate  time.Time // civil date at UTC midnight
	Instrument string
	Level      string
	Status     string
	Deleted    bool
	Teacher    int       // index into Teachers, -1 for none
	Slot       *demoSlot // set for enrolled (active) students only
	Plan       string    // pricing plan name of the enrollment
	// Extra are the student's other weekly lessons (grid sizes only).
	Extra []demoPlacement
}

type demoPrice struct {
	Name     string
	Minutes  int
	Lessons  int
	Interval string
	Amount   int // cents
	Public   bool
}

// demoClosure spans whole local days, From..To inclusive.
type demoClosure struct {
	Name     string
	From, To time.Time // civil dates at UTC midnight
}

type demoLesson struct {
	Start, End time.Time // UTC
	Status     string
	Seed       int // varies which past lessons were missed
}

// demoPlan is everything the demo command writes, computed without a
// database so that it is deterministic and cheap to test.
type demoPlan struct {
	Size        demoSize
	Zone        *time.Location
	Now         time.Time
	TermStart   time.Time // a Monday, civil date at UTC midnight
	Instruments []demoInstrument
	Admin       demoUser
	Teachers    []demoTeacher
	Families    []demoUser
	Students    []demoStudent
	Prices      []demoPrice
	Closures    []demoClosure
}

var (
	demoInstruments = []demoInstrument{
		{"Piano", 5}, {"Violin", 4}, {"Guitar", 7}, {"Voice", 8}, {"Cello", 6},
		{"Flute", 8}, {"Drums", 7}, {"Trumpet", 8}, {"Saxophone", 9}, {"Ukulele", 5},
	}
	adultFirstNames = []string{
		"Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Sophia", "Ethan", "Mia", "Mateo",
		"Chloe", "Arjun", "Priya", "Hiroshi", "Mei", "Omar", "Fatima", "Jonas", "Ingrid", "Diego",
		"Camille", "Tomasz", "Aisha", "Kenji", "Nadia", "Samuel", "Leah", "Ravi", "Elena", "Marcus",
	}
	childFirstNames = []string{
		"Aria", "Ben", "Clara", "Dev", "Eli", "Freya", "Gabe", "Hana", "Isla", "Jude",
		"Kai", "Lena", "Milo", "Nora", "Owen", "Pia", "Quinn", "Rosa", "Sami", "Theo",
		"Uma", "Vik", "Wren", "Xena", "Yusuf", "Zoe", "Ada", "Bruno", "Cleo", "Dara",
		"Emil", "Farah", "Gus", "Ivy", "Jonah", "Kira", "Leo", "Maya", "Nico", "Ola",
	}
	lastNames = []string{
		"Nguyen", "Smith", "Patel", "Chen", "Garcia", "Kim", "Martin", "Singh", "Lee", "Wong",
		"Brown", "Tremblay", "Roy", "Gagnon", "Wilson", "Taylor", "Li", "Anderson", "Thomas", "Moreau",
		"Kowalski", "Haddad", "Sato", "Okafor", "Rossi", "Jensen", "Novak", "Silva", "Cohen", "Murphy",
		"Bouchard", "Fischer", "Ivanova", "Lindqvist", "Mendes", "Park", "Quinn", "Reyes", "Stewart", "Yamamoto",
	}
	levels = []string{"beginner", "intermediate", "advanced"}
)

// newDemoPlan lays out the academy for size. anchor picks the term (the
// one containing that day in zone, or the next); now decides which lessons
// already happened.
func newDemoPlan(size demoSize, zone *time.Location, anchor, now time.Time, bufferMinutes int) *demoPlan {
	today := civilDate(anchor.In(zone))
	p := &demoPlan{Size: size, Zone: zone, Now: now, Instruments: demoInstruments}
	if size.SchoolYear {
		p.TermStart = schoolYearStart(today)
	} else {
		p.TermStart = termStart(today, size.Weeks)
	}
	p.Admin = demoUser{Email: "admin@" + demoDomain, Name: "Morgan Reid", Role: "admin"}
	p.Prices = demoPrices()
	p.Closures = closuresBetween(p.TermStart, p.TermStart.AddDate(0, 0, 7*size.Weeks-1))

	var grid demoGrid
	if size.Grid != nil {
		grid = *size.Grid
		grid.Step = max(grid.Step, 60+bufferMinutes) // the longest lesson and the buffer fit a place
	}
	for i := range size.Teachers {
		if size.Grid != nil {
			p.Teachers = append(p.Teachers, gridTeacher(i, grid))
			continue
		}
		p.Teachers = append(p.Teachers, newDemoTeacher(i))
	}
	for f := range size.Families {
		last := lastNames[(f*7)%len(lastNames)]
		p.Families = append(p.Families, demoUser{
			Email: fmt.Sprintf("parent%04d@%s", f+1, demoDomain),
			Name:  adultFirstNames[f%len(adultFirstNames)] + " " + last,
			Role:  "parent",
			Phone: fmt.Sprintf("+1 604 555 %04d", f%10000),
		})
	}
	if size.Grid != nil {
		p.placeStudentsOnGrid(grid)
		return p
	}
	p.placeStudents(bufferMinutes)
	return p
}

func newDemoTeacher(i int) demoTeacher {
	name := adultFirstNames[(i*11+5)%len(adultFirstNames)] + " " + lastNames[(i*13+3)%len(lastNames)]
	first := demoInstruments[i%len(demoInstruments)].Name
	instruments := []string{first}
	if i%2 == 0 {
		instruments = append(instruments, demoInstruments[(i+3)%len(demoInstruments)].Name)
	}
	lengths := [][]int{{30, 45}, {30, 60}, {45, 60}}[i%3]
	lv := levels[:2]
	if i%3 != 0 {
		lv = levels
	}
	// Two weekly patterns so that the academy is open six days a week.
	windows := []demoWindow{
		{time.Monday, 15 * 60, 20 * 60}, {time.Wednesday, 15 * 60, 20 * 60},
		{time.Friday, 15 * 60, 20 * 60}, {time.Saturday, 9 * 60, 14 * 60},
	}
	if i%2 == 1 {
		windows = []demoWindow{
			{time.Tuesday, 15 * 60, 20 * 60}, {time.Thursday, 15 * 60, 20 * 60},
			{time.Saturday, 9 * 60, 13 * 60}, {time.Sunday, 12 * 60, 17 * 60},
		}
	}
	return demoTeacher{
		User: demoUser{
			Email: fmt.Sprintf("teacher%02d@%s", i+1, demoDomain),
			Name:  name,
			Role:  "teacher",
			Phone: fmt.Sprintf("+1 604 555 9%03d", i%1000),
		},
		DisplayName: name,
		Bio:         fmt.Sprintf("<p>%s teaches %s to students of every age.</p>", name, strings.ToLower(strings.Join(instruments, " and "))),
		Instruments: instruments,
		Lengths:     lengths,
		Levels:      lv,
		Capacity:    30,
		Public:      i%8 != 7, // one in eight stays off the public list (on leave)
		Windows:     windows,
	}
}

// placeStudents spreads the students over the families and gives every
// active one a weekly slot with a teacher of its instrument. Slots are packed
// one after the other inside the teacher's windows with the academy's buffer
// between them, so no teacher is ever double-booked; a student has a single
// slot, so no student is either. Active students beyond every teacher's
// windows wait as prospects.
func (p *demoPlan) placeStudents(bufferMinutes int) {
	type cursor struct{ window, at int } // next free minute in the current window
	cursors := make([]cursor, len(p.Teachers))
	for t := range cursors {
		cursors[t] = cursor{0, int(p.Teachers[t].Windows[0].Start)}
	}
	taught := make([]int, len(p.Teachers))
	// next returns a slot of teacher t, or false when its week is full.
	next := func(t int) (*demoSlot, bool) {
		tc := p.Teachers[t]
		minutes := tc.Lengths[taught[t]%len(tc.Lengths)]
		c := &cursors[t]
		for c.window < len(tc.Windows) {
			w := tc.Windows[c.window]
			if c.at+minutes <= int(w.End) {
				slot := &demoSlot{Weekday: w.Weekday, Start: scheduling.Clock(c.at), Minutes: minutes}
				c.at += minutes + bufferMinutes
				taught[t]++
				return slot, true
			}
			c.window++
			if c.window < len(tc.Windows) {
				c.at = int(tc.Windows[c.window].Start)
			}
		}
		return nil, false
	}

	families := len(p.Families)
	rotation := 0
	for i := range p.Size.Students {
		family, child := i%families, i/families
		s := demoStudent{
			Family:  family,
			First:   childFirstNames[(family*3+child)%len(childFirstNames)],
			Last:    lastNames[(family*7)%len(lastNames)],
			Teacher: -1,
			Status:  [20]string{15: "prospect", 16: "prospect", 17: "paused", 18: "paused", 19: "withdrawn"}[i%20],
			Level:   levels[(i/3)%len(levels)],
		}
		if s.Status == "" {
			s.Status = "active"
		}
		s.Deleted = s.Status == "withdrawn" && family%2 == 0

		t := i % len(p.Teachers)
		if s.Status == "active" {
			s.Status = "prospect" // unless a teacher has room
			for range p.Teachers {
				t = rotation % len(p.Teachers)
				rotation++
				if slot, ok := next(t); ok {
					s.Status, s.Slot = "active", slot
					break
				}
			}
		}
		tc := p.Teachers[t]
		s.Instrument = tc.Instruments[i%len(tc.Instruments)]
		if s.Status != "prospect" || s.Slot != nil {
			s.Teacher = t
		}
		if !slices.Contains(tc.Levels, s.Level) {
			s.Level = tc.Levels[0]
		}
		if s.Slot != nil {
			s.Plan = pricePlanName([]string{"month", "month", "month", "semester", "school_year"}[i%5], s.Slot.Minutes)
		}
		s.BirthDate = p.birthDate(i, minAge(s.Instrument))
		p.Students = append(p.Students, s)
	}
}

// birthDate makes the student at least minAge when the term starts, and at
// most 17.
func (p *demoPlan) birthDate(i, minAge int) time.Time {
	age := minAge + i%(18-minAge)
	return time.Date(p.TermStart.Year()-age-1, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
}

// Lessons returns the student's weekly lessons over the plan's weeks,
// skipping closure days. Each week's wall-clock time is turned into an
// instant in the academy's zone, so lessons stay at 16:00 local across
// daylight-saving changes and their UTC time moves instead.
func (p *demoPlan) Lessons(s demoStudent, seed int) []demoLesson {
	if s.Slot == nil {
		return nil
	}
	return p.slotLessons(*s.Slot, seed)
}

// slotLessons are one weekly slot's lessons over the plan's weeks.
func (p *demoPlan) slotLessons(slot demoSlot, seed int) []demoLesson {
	s := struct{ Slot demoSlot }{slot}
	offset := (int(s.Slot.Weekday) + 6) % 7 // days after Monday
	out := make([]demoLesson, 0, p.Size.Weeks)
	for w := range p.Size.Weeks {
		day := p.TermStart.AddDate(0, 0, 7*w+offset)
		if p.closed(day) {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), int(s.Slot.Start)/60, int(s.Slot.Start)%60, 0, 0, p.Zone).UTC()
		end := start.Add(time.Duration(s.Slot.Minutes) * time.Minute)
		out = append(out, demoLesson{Start: start, End: end, Status: pastStatus(start, p.Now, seed+w), Seed: seed + w})
	}
	return out
}

// pastStatus is "scheduled" for a lesson starting at or after now and,
// for one already begun, what happened: mostly completed, now and then a
// no-show or a cancellation.
func pastStatus(start, now time.Time, seed int) string {
	if !start.Before(now) {
		return "scheduled"
	}
	switch seed % 37 {
	case 0:
		return "no_show"
	case 18:
		return "cancelled"
	}
	return "completed"
}

func (p *demoPlan) closed(day time.Time) bool {
	for _, c := range p.Closures {
		if !day.Before(c.From) && !day.After(c.To) {
			return true
		}
	}
	return false
}

func demoPrices() []demoPrice {
	var out []demoPrice
	perLesson := map[int]int{30: 3500, 45: 4900, 60: 6250} // cents, before volume discounts
	for _, in := range []struct {
		interval string
		lessons  int
		discount int // percent
	}{{"month", 4, 0}, {"semester", 15, 6}, {"school_year", 34, 10}} {
		for _, minutes := range []int{30, 45, 60} {
			amount := perLesson[minutes] * in.lessons * (100 - in.discount) / 100
			out = append(out, demoPrice{
				Name: pricePlanName(in.interval, minutes), Minutes: minutes, Lessons: in.lessons,
				Interval: in.interval, Amount: amount / 100 * 100, Public: true,
			})
		}
	}
	return append(out, demoPrice{Name: "Staff family 30 min", Minutes: 30, Lessons: 4, Interval: "month", Amount: 9000})
}

func pricePlanName(interval string, minutes int) string {
	label := map[string]string{"month": "Monthly", "semester": "Semester", "school_year": "School year"}[interval]
	return fmt.Sprintf("%s %d min", label, minutes)
}

func minAge(instrument string) int {
	for _, in := range demoInstruments {
		if in.Name == instrument {
			return in.MinAge
		}
	}
	return 5
}
