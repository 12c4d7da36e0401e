package matching

import (
	"testing"
	"time"

	"cedarheights/scheduling"
)

func TestFitFactor(t *testing.T) {
	cases := []struct {
		name     string
		level    string
		levels   []string
		instName string
		points   float64
		text     string
	}{
		{"level taught", "beginner", []string{"beginner"}, "Piano", 10, "Teaches piano to beginners"},
		{"advanced", "advanced", []string{"advanced"}, "Piano", 10, "Teaches piano to advanced students"},
		{"no level asked", "", []string{"advanced"}, "Piano", 10, "Teaches piano"},
		{"levels not listed", "beginner", nil, "Piano", 5, "Teaches piano (has not listed the levels they teach)"},
		{"no instrument name", "", nil, "", 10, "Teaches this instrument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRequest()
			r.Level, r.InstrumentName = tc.level, tc.instName
			c := teacher("T", "Tess")
			c.Levels = tc.levels
			f := factorOf(t, mustFind(t, r, c).Matches[0], FactorFit)
			if f.Points != tc.points || f.Max != WeightFit || f.Text != tc.text {
				t.Errorf("fit = %+v, want %v points, %q", f, tc.points, tc.text)
			}
		})
	}
}

func TestTimesFactor(t *testing.T) {
	// The teacher: Mondays 15:00–19:00 with a lesson 15:30–16:00 (buffer
	// 10 min, so free from 16:10), Wednesdays 16:00–17:00.
	c := teacher("T", "Tess")
	c.Teacher.Availability = append(c.Teacher.Availability, win(time.Wednesday, "16:00", "17:00"))
	c.Booked = []scheduling.WeeklyWindow{win(time.Monday, "15:30", "16:00")}

	cases := []struct {
		name      string
		preferred []scheduling.WeeklyWindow
		points    float64
		text      string
		suggested string
	}{
		{"none given", nil, 0, "Free on Mondays and Wednesdays; tell us your preferred times to compare teachers", "Mon 16:10"},
		{"one of one, after the buffer", []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00")}, 40, "Free at your preferred time: Mon 16:10", "Mon 16:10"},
		{"all", []scheduling.WeeklyWindow{win(time.Wednesday, "16:00", "18:00"), win(time.Monday, "17:00", "18:00")},
			40, "Free at all 2 of your preferred times: Mon 17:00 and Wed 16:00", "Mon 17:00"},
		{"some", []scheduling.WeeklyWindow{
			win(time.Monday, "16:30", "17:00"), win(time.Tuesday, "16:00", "18:00"),
			win(time.Wednesday, "16:30", "17:00"), win(time.Friday, "10:00", "12:00")},
			20, "Free at 2 of your 4 preferred times: Mon 16:30 and Wed 16:30", "Mon 16:30"},
		{"one of three rounds", []scheduling.WeeklyWindow{
			win(time.Monday, "16:30", "17:00"), win(time.Tuesday, "16:00", "18:00"), win(time.Friday, "10:00", "12:00")},
			13.3, "Free at 1 of your 3 preferred times: Mon 16:30", "Mon 16:30"},
		// The lesson must fit wholly inside the preferred time and the free time.
		{"too short a window", []scheduling.WeeklyWindow{win(time.Monday, "16:00", "16:30")}, 0, "Not free at any of your preferred times", "Mon 16:10"},
		{"before the lesson, 20 free minutes", []scheduling.WeeklyWindow{win(time.Monday, "15:00", "15:30")}, 0, "Not free at any of your preferred times", "Mon 16:10"},
		{"starts once the buffer ends", []scheduling.WeeklyWindow{win(time.Monday, "15:40", "16:40")}, 40, "Free at your preferred time: Mon 16:10", "Mon 16:10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRequest()
			r.Preferred = tc.preferred
			m := mustFind(t, r, c).Matches[0]
			f := factorOf(t, m, FactorTimes)
			if f.Points != tc.points || f.Max != WeightTimes || f.Text != tc.text {
				t.Errorf("times = %+v, want %v points, %q", f, tc.points, tc.text)
			}
			if got := at(m.Suggested.Weekday, m.Suggested.Start); got != tc.suggested {
				t.Errorf("suggested %s, want %s", got, tc.suggested)
			}
		})
	}
}

func TestLoadFactor(t *testing.T) {
	cases := []struct {
		active, capacity int
		points           float64
		text             string
	}{
		{14, 20, 6, "Has room for 6 more students (14 of 20 places taken)"},
		{0, 20, 20, "Has room for 20 more students (0 of 20 places taken)"},
		{19, 20, 1, "Has room for 1 more student (19 of 20 places taken)"},
		{1, 3, 13.3, "Has room for 2 more students (1 of 3 places taken)"},
		{2, 3, 6.7, "Has room for 1 more student (2 of 3 places taken)"},
	}
	for _, tc := range cases {
		c := teacher("T", "Tess")
		c.Active, c.Capacity = tc.active, tc.capacity
		f := factorOf(t, mustFind(t, testRequest(), c).Matches[0], FactorLoad)
		if f.Points != tc.points || f.Max != WeightLoad || f.Text != tc.text {
			t.Errorf("%d of %d: load = %+v, want %v points, %q", tc.active, tc.capacity, f, tc.points, tc.text)
		}
	}
}

func TestPreferredTeacherFactor(t *testing.T) {
	r := testRequest()
	res := mustFind(t, r, teacher("T", "Tess"))
	if hasFactor(res.Matches[0], FactorPreferredTeacher) {
		t.Errorf("no teacher asked for, yet the factor is listed: %+v", res.Matches[0].Factors)
	}

	r.PreferredTeacher = "U"
	// Uma has less room (fewer load points) but is the family's choice.
	uma := teacher("U", "Uma")
	uma.Active = 18
	res = mustFind(t, r, teacher("T", "Tess"), uma)
	if got := ids(res.Matches); got[0] != "U" || got[1] != "T" {
		t.Fatalf("order %v, want the preferred teacher first", got)
	}
	if f := factorOf(t, res.Matches[0], FactorPreferredTeacher); f.Points != 25 || f.Text != "Your preferred teacher" {
		t.Errorf("preferred = %+v", f)
	}
	if f := factorOf(t, res.Matches[1], FactorPreferredTeacher); f.Points != 0 || f.Text != "Not the teacher you asked for" {
		t.Errorf("other = %+v", f)
	}
}

func TestSiblingsFactor(t *testing.T) {
	amy := func(teacherID string, d time.Weekday, start, end string) Sibling {
		return Sibling{Name: "Amy", Teacher: teacherID, Lesson: win(d, start, end)}
	}
	cases := []struct {
		name      string
		siblings  []Sibling
		booked    []scheduling.WeeklyWindow
		preferred []scheduling.WeeklyWindow
		points    float64
		text      string
		suggested string
		why       string
	}{
		{name: "with another teacher", siblings: []Sibling{amy("U", time.Monday, "16:00", "16:30"), {Name: "Carl", Teacher: "V", Lesson: win(time.Friday, "10:00", "10:30")}},
			points: 0, text: "Does not teach Amy or Carl", suggested: "Mon 15:00"},
		{name: "unnamed sibling elsewhere", siblings: []Sibling{{Teacher: "U", Lesson: win(time.Monday, "16:00", "16:30")}},
			points: 0, text: "Does not teach your other children", suggested: "Mon 15:00"},
		{name: "right after, buffer apart", siblings: []Sibling{amy("T", time.Monday, "15:00", "15:30")},
			booked: []scheduling.WeeklyWindow{win(time.Monday, "15:00", "15:30")},
			points: 15, text: "Teaches Amy on Mondays at 15:00 — Ben's lesson could be right after, at 15:40",
			suggested: "Mon 15:40", why: "Right after Amy's lesson"},
		{name: "the earlier side first", siblings: []Sibling{amy("T", time.Monday, "16:00", "16:30")},
			booked: []scheduling.WeeklyWindow{win(time.Monday, "16:00", "16:30")},
			points: 15, text: "Teaches Amy on Mondays at 16:00 — Ben's lesson could be right before, at 15:20",
			suggested: "Mon 15:20", why: "Right before Amy's lesson"},
		{name: "right before when after is taken", siblings: []Sibling{amy("T", time.Monday, "16:00", "16:30")},
			booked: []scheduling.WeeklyWindow{win(time.Monday, "16:00", "16:30"), win(time.Monday, "16:40", "19:00")},
			points: 15, text: "Teaches Amy on Mondays at 16:00 — Ben's lesson could be right before, at 15:20",
			suggested: "Mon 15:20", why: "Right before Amy's lesson"},
		{name: "taught but boxed in", siblings: []Sibling{amy("T", time.Monday, "16:00", "16:30")},
			booked: []scheduling.WeeklyWindow{win(time.Monday, "15:00", "16:30"), win(time.Monday, "16:40", "17:10")},
			points: 5, text: "Teaches Amy (Mondays at 16:00), but has no free time right next to that lesson",
			suggested: "Mon 17:20", why: "Free time on Mondays"},
		{name: "the preferred side wins", siblings: []Sibling{amy("T", time.Monday, "16:00", "16:30")},
			booked:    []scheduling.WeeklyWindow{win(time.Monday, "16:00", "16:30")},
			preferred: []scheduling.WeeklyWindow{win(time.Monday, "16:30", "18:00")},
			points:    15, text: "Teaches Amy on Mondays at 16:00 — Ben's lesson could be right after, at 16:40",
			suggested: "Mon 16:40", why: "Right after Amy's lesson, within your preferred time Mon 16:30–18:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testRequest()
			r.Siblings, r.Preferred = tc.siblings, tc.preferred
			c := teacher("T", "Tess")
			c.Booked = tc.booked
			m := mustFind(t, r, c).Matches[0]
			f := factorOf(t, m, FactorSiblings)
			if f.Points != tc.points || f.Max != WeightSiblings || f.Text != tc.text {
				t.Errorf("siblings = %+v, want %v points, %q", f, tc.points, tc.text)
			}
			if got := at(m.Suggested.Weekday, m.Suggested.Start); got != tc.suggested {
				t.Errorf("suggested %s, want %s", got, tc.suggested)
			}
			if tc.why != "" && m.Suggested.Why != tc.why {
				t.Errorf("why %q, want %q", m.Suggested.Why, tc.why)
			}
		})
	}

	if hasFactor(mustFind(t, testRequest(), teacher("T", "Tess")).Matches[0], FactorSiblings) {
		t.Error("no siblings, yet the factor is listed")
	}
}

// A preferred teacher who does not qualify is among the rejected, with the
// reason, and the others say they are not the one asked for.
func TestPreferredTeacherFull(t *testing.T) {
	r := testRequest()
	r.PreferredTeacher = "U"
	uma := teacher("U", "Uma")
	uma.Active = 20
	res := mustFind(t, r, teacher("T", "Tess"), uma)
	if got := ids(res.Matches); len(got) != 1 || got[0] != "T" {
		t.Fatalf("matches %v", got)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Teacher != "U" || res.Rejected[0].Reasons[0].Code != RejectFull {
		t.Errorf("rejected %+v", res.Rejected)
	}
	if f := factorOf(t, res.Matches[0], FactorPreferredTeacher); f.Points != 0 {
		t.Errorf("preferred = %+v", f)
	}
}
