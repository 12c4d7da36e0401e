package matching

import (
	"math/rand/v2"
	"testing"
	"time"

	"cedarheights/scheduling"
)

// BenchmarkFind scores 50 teachers with a few weekly windows and lessons
// each, for a family with three preferred times and two siblings.
func BenchmarkFind(b *testing.B) {
	cs := randomCandidates(rand.New(rand.NewPCG(3, 4)), 50)
	r := testRequest()
	r.Limit = 5
	r.PreferredTeacher = cs[10].Teacher.ID
	r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "18:00"), win(time.Wednesday, "15:00", "17:00"), win(time.Saturday, "09:00", "12:00")}
	r.Siblings = []Sibling{{Name: "Amy", Teacher: cs[3].Teacher.ID, Lesson: win(time.Monday, "16:00", "16:30")}, {Name: "Carl", Teacher: cs[9].Teacher.ID, Lesson: win(time.Wednesday, "15:00", "15:45")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Find(testAcademy, r, cs); err != nil {
			b.Fatal(err)
		}
	}
}
