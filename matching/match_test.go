package matching

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"cedarheights/scheduling"
)

func TestDisqualified(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Request, *Candidate)
		codes []string
		texts []string
	}{
		{"instrument", func(r *Request, c *Candidate) { c.Teacher.Instruments = []string{"violin"} },
			[]string{RejectInstrument}, []string{"Does not teach piano"}},
		{"level", func(r *Request, c *Candidate) { r.Level = "advanced" },
			[]string{RejectLevel}, []string{"Does not teach advanced students"}},
		{"length", func(r *Request, c *Candidate) { r.Minutes = 60 },
			[]string{RejectLength}, []string{"Does not offer 60-minute lessons"}},
		{"full", func(r *Request, c *Candidate) { c.Active = 20 },
			[]string{RejectFull}, []string{"Has no room for new students (20 of 20 places taken)"}},
		{"over capacity", func(r *Request, c *Candidate) { c.Active, c.Capacity = 7, 5 },
			[]string{RejectFull}, []string{"Has no room for new students (7 of 5 places taken)"}},
		{"capacity 0", func(r *Request, c *Candidate) { c.Capacity, c.Active = 0, 0 },
			[]string{RejectFull}, []string{"Is not taking new students"}},
		{"booked out", func(r *Request, c *Candidate) {
			c.Booked = []scheduling.WeeklyWindow{win(time.Monday, "15:00", "16:30"), win(time.Monday, "17:00", "19:00")}
		}, []string{RejectNoTime}, []string{"Has no free weekly time for a 30-minute lesson"}},
		{"no availability", func(r *Request, c *Candidate) { c.Teacher.Availability = nil },
			[]string{RejectNoTime}, []string{"Has no free weekly time for a 30-minute lesson"}},
		{"availability ended", func(r *Request, c *Candidate) {
			c.Teacher.Availability[0].ValidTo = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) // the Sunday before
		}, []string{RejectNoTime}, nil},
		{"every reason at once", func(r *Request, c *Candidate) {
			r.Instrument, r.InstrumentName, r.Level, r.Minutes = "cello", "Cello", "advanced", 90
			c.Active = 20
			c.Teacher.Availability = nil
		}, []string{RejectInstrument, RejectLevel, RejectLength, RejectFull, RejectNoTime}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, c := testRequest(), teacher("T", "Tess")
			tc.edit(&r, &c)
			res := mustFind(t, r, c)
			if len(res.Matches) != 0 || len(res.Rejected) != 1 {
				t.Fatalf("matches %v, rejected %+v", ids(res.Matches), res.Rejected)
			}
			var codes, texts []string
			for _, reason := range res.Rejected[0].Reasons {
				codes, texts = append(codes, reason.Code), append(texts, reason.Text)
			}
			if !slices.Equal(codes, tc.codes) || (tc.texts != nil && !slices.Equal(texts, tc.texts)) {
				t.Errorf("reasons %v %q, want %v %q", codes, texts, tc.codes, tc.texts)
			}
		})
	}
}

func TestQualifiedEdgeCases(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Request, *Candidate)
	}{
		{"one place left", func(r *Request, c *Candidate) { c.Active = 19 }},
		{"exactly the lesson's length free", func(r *Request, c *Candidate) {
			c.Booked = []scheduling.WeeklyWindow{win(time.Monday, "15:00", "16:30"), win(time.Monday, "17:20", "19:00")}
		}},
		{"levels not listed", func(r *Request, c *Candidate) { r.Level, c.Levels = "advanced", nil }},
		{"availability ends tonight, already tomorrow in UTC", func(r *Request, c *Candidate) {
			r.From = local(2026, 3, 8, 20, 0) // Sunday
			c.Teacher.Availability = []scheduling.WeeklyWindow{win(time.Sunday, "18:00", "22:00")}
			c.Teacher.Availability[0].ValidTo = time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
		}},
		{"availability starts this week", func(r *Request, c *Candidate) {
			c.Teacher.Availability[0].ValidFrom = time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
		}},
	}
	for _, tc := range cases {
		r, c := testRequest(), teacher("T", "Tess")
		tc.edit(&r, &c)
		if res := mustFind(t, r, c); len(res.Matches) != 1 {
			t.Errorf("%s: not qualified: %+v", tc.name, res.Rejected)
		}
	}
}

func TestEmptyResults(t *testing.T) {
	res := mustFind(t, testRequest())
	if res.Matches == nil || res.Rejected == nil || len(res.Matches)+len(res.Rejected) != 0 {
		t.Fatalf("empty input gave %+v", res)
	}
	b, _ := json.Marshal(res)
	if string(b) != `{"matches":[],"rejected":[]}` {
		t.Errorf("json %s", b)
	}
}

func TestAllDisqualified(t *testing.T) {
	full := teacher("F", "Fiona")
	full.Active = 20
	violin := teacher("V", "victor")
	violin.Teacher.Instruments = []string{"violin"}
	busy := teacher("B", "Bea")
	busy.Booked = []scheduling.WeeklyWindow{win(time.Monday, "15:00", "19:00")}

	res := mustFind(t, testRequest(), full, violin, busy)
	if len(res.Matches) != 0 {
		t.Fatalf("matches %v", ids(res.Matches))
	}
	var got []string
	for _, rej := range res.Rejected {
		got = append(got, rej.Teacher+":"+rej.Reasons[0].Code)
	}
	// By name, case-insensitive: Bea, Fiona, victor.
	want := []string{"B:" + RejectNoTime, "F:" + RejectFull, "V:" + RejectInstrument}
	if !slices.Equal(got, want) {
		t.Errorf("rejected %v, want %v", got, want)
	}
}

func TestRanking(t *testing.T) {
	r := testRequest()
	r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00")}
	free := teacher("A", "Ann")
	busy := teacher("B", "Bob")
	busy.Booked = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00")}
	res := mustFind(t, r, busy, free)
	if got := ids(res.Matches); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("order %v", got)
	}
	// Ann: fit 10 + times 40 + load 10; Bob: fit 10 + times 0 + load 10.
	if res.Matches[0].Score != 60 || res.Matches[1].Score != 20 {
		t.Errorf("scores %v, %v", res.Matches[0].Score, res.Matches[1].Score)
	}
	var sum float64
	for _, f := range res.Matches[0].Factors {
		sum += f.Points
	}
	if sum != res.Matches[0].Score {
		t.Errorf("score %v is not the sum of the factors %v", res.Matches[0].Score, sum)
	}
}

func TestTies(t *testing.T) {
	r := testRequest()
	r.Preferred = []scheduling.WeeklyWindow{
		win(time.Monday, "16:00", "18:00"), win(time.Tuesday, "16:00", "18:00"),
		win(time.Wednesday, "16:00", "18:00"), win(time.Thursday, "16:00", "18:00"),
	}
	withDays := func(id, name string, days ...time.Weekday) Candidate {
		c := teacher(id, name)
		c.Teacher.Availability = nil
		for _, d := range days {
			c.Teacher.Availability = append(c.Teacher.Availability, win(d, "16:00", "18:00"))
		}
		return c
	}

	cases := []struct {
		name string
		cs   []Candidate
		want []string
	}{
		{"same score: more preferred times matched first", func() []Candidate {
			// Zed: 10 + 30 (3 of 4) + 10 (10 of 20) = 50; Amy: 10 + 20 (2 of 4) + 20 (0 of 20) = 50.
			zed := withDays("Z", "Zed", time.Monday, time.Tuesday, time.Wednesday)
			amy := withDays("A", "Amy", time.Monday, time.Tuesday)
			amy.Active = 0
			return []Candidate{amy, zed}
		}(), []string{"Z", "A"}},
		{"more preferred times matched beats more free minutes", func() []Candidate {
			// Zed: 3 of 4, 90 free minutes inside them; Amy: 2 of 4 but 280
			// (two 20-minute gaps too short for the lesson). Both 50 points.
			zed := withDays("Z", "Zed")
			for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday} {
				zed.Teacher.Availability = append(zed.Teacher.Availability, win(d, "16:00", "16:30"))
			}
			amy := withDays("A", "Amy", time.Monday, time.Tuesday)
			amy.Teacher.Availability = append(amy.Teacher.Availability, win(time.Wednesday, "16:00", "16:20"), win(time.Thursday, "16:00", "16:20"))
			amy.Active = 0
			return []Candidate{amy, zed}
		}(), []string{"Z", "A"}},
		{"then more free minutes inside them", func() []Candidate {
			zed := withDays("Z", "Zed", time.Monday)
			amy := withDays("A", "Amy", time.Monday)
			amy.Booked = []scheduling.WeeklyWindow{win(time.Monday, "17:00", "17:30")}
			return []Candidate{amy, zed}
		}(), []string{"Z", "A"}},
		{"then lower load", func() []Candidate {
			// 199/200 and 160/161 free both round to 19.9 points.
			zed := withDays("Z", "Zed", time.Monday)
			zed.Active, zed.Capacity = 1, 200
			amy := withDays("A", "Amy", time.Monday)
			amy.Active, amy.Capacity = 1, 161
			return []Candidate{amy, zed}
		}(), []string{"Z", "A"}},
		{"then the name, case-insensitive", []Candidate{
			withDays("1", "bea", time.Monday), withDays("2", "Carl", time.Monday), withDays("3", "Abe", time.Monday),
		}, []string{"3", "1", "2"}},
		{"then the id", []Candidate{
			withDays("b", "Sam", time.Monday), withDays("c", "Sam", time.Monday), withDays("a", "Sam", time.Monday),
		}, []string{"a", "b", "c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := mustFind(t, r, tc.cs...)
			if got := ids(res.Matches); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
			if res.Matches[0].Score != res.Matches[1].Score {
				t.Errorf("not a tie: %v vs %v", res.Matches[0].Score, res.Matches[1].Score)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	var cs []Candidate
	for i := range 5 {
		cs = append(cs, teacher(fmt.Sprint(i), fmt.Sprint("T", i)))
	}
	for _, tc := range []struct{ limit, want int }{{0, DefaultLimit}, {1, 1}, {5, 5}, {MaxLimit, 5}} {
		r := testRequest()
		r.Limit = tc.limit
		if got := len(mustFind(t, r, cs...).Matches); got != tc.want {
			t.Errorf("limit %d: %d matches, want %d", tc.limit, got, tc.want)
		}
	}
}

// TestDeterministic shuffles the candidates and the request's lists: the
// answer stays the same, to the byte.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := randomCandidates(rng, 40)
	r := testRequest()
	r.Limit = MaxLimit
	r.PreferredTeacher = cs[7].Teacher.ID
	r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "18:00"), win(time.Wednesday, "15:00", "17:00"), win(time.Saturday, "09:00", "12:00")}
	r.Siblings = []Sibling{{Name: "Amy", Teacher: cs[3].Teacher.ID, Lesson: win(time.Monday, "16:00", "16:30")}, {Name: "Carl", Teacher: cs[9].Teacher.ID, Lesson: win(time.Wednesday, "15:00", "15:45")}}

	first, err := json.Marshal(mustFind(t, r, cs...))
	if err != nil {
		t.Fatal(err)
	}
	for range 25 {
		shuffled := slices.Clone(cs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for i := range shuffled {
			c := &shuffled[i]
			c.Teacher.Availability = slices.Clone(c.Teacher.Availability)
			rng.Shuffle(len(c.Teacher.Availability), func(i, j int) {
				c.Teacher.Availability[i], c.Teacher.Availability[j] = c.Teacher.Availability[j], c.Teacher.Availability[i]
			})
		}
		rr := r
		rr.Preferred = slices.Clone(r.Preferred)
		rng.Shuffle(len(rr.Preferred), func(i, j int) { rr.Preferred[i], rr.Preferred[j] = rr.Preferred[j], rr.Preferred[i] })
		again, _ := json.Marshal(mustFind(t, rr, shuffled...))
		if string(again) != string(first) {
			t.Fatalf("answer changed with the input order:\n%s\n%s", first, again)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Request)
	}{
		{"instrument", func(r *Request) { r.Instrument = "" }},
		{"minutes", func(r *Request) { r.Minutes = 0 }},
		{"minutes", func(r *Request) { r.Minutes = 24*60 + 1 }},
		{"preferred_times.1", func(r *Request) {
			r.Preferred = []scheduling.WeeklyWindow{win(time.Monday, "16:00", "17:00"), win(time.Monday, "17:00", "16:00")}
		}},
		{"preferred_times.0", func(r *Request) { r.Preferred = []scheduling.WeeklyWindow{{Weekday: 7, Start: 60, End: 120}} }},
		{"preferred_times.0", func(r *Request) { r.Preferred = []scheduling.WeeklyWindow{{Weekday: 1, Start: 60, End: 24*60 + 1}} }},
		{"preferred_times", func(r *Request) { r.Preferred = make([]scheduling.WeeklyWindow, MaxPreferred+1) }},
		{"siblings.0", func(r *Request) { r.Siblings = []Sibling{{Name: "Amy", Teacher: "T"}} }},
		{"siblings", func(r *Request) { r.Siblings = make([]Sibling, MaxSiblings+1) }},
		{"limit", func(r *Request) { r.Limit = MaxLimit + 1 }},
		{"limit", func(r *Request) { r.Limit = -1 }},
		{"from", func(r *Request) { r.From = time.Time{} }},
	}
	for _, tc := range cases {
		r := testRequest()
		tc.edit(&r)
		_, err := Find(testAcademy, r, []Candidate{teacher("T", "Tess")})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("want a field error on %s, got %v", tc.field, err)
		}
	}
	if _, err := Find(Academy{}, testRequest(), nil); !errors.Is(err, ErrZoneMissing) {
		t.Errorf("no zone: %v", err)
	}
}

// randomCandidates builds n teachers with varied instruments, loads and
// weekly hours; a fixed seed keeps them the same on every run.
func randomCandidates(rng *rand.Rand, n int) []Candidate {
	names := []string{"Ann", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana"}
	var out []Candidate
	for i := range n {
		c := Candidate{
			Teacher: scheduling.Teacher{
				ID: fmt.Sprintf("t%03d", i), Instruments: []string{"piano"}, Lengths: []int{30, 45, 60},
			},
			Name: names[rng.IntN(len(names))], Levels: []string{"beginner"},
			Capacity: 10 + rng.IntN(20),
		}
		c.Active = rng.IntN(c.Capacity + 1)
		if rng.IntN(5) == 0 {
			c.Teacher.Instruments = []string{"violin"}
		}
		for d := range 7 {
			if rng.IntN(2) == 0 {
				continue
			}
			start := scheduling.Clock(9*60 + 30*rng.IntN(16))
			end := start + scheduling.Clock(60+30*rng.IntN(8))
			c.Teacher.Availability = append(c.Teacher.Availability, scheduling.WeeklyWindow{Weekday: time.Weekday(d), Start: start, End: min(end, 24*60)})
			for at := start; at+30 <= end; at += 45 {
				if rng.IntN(3) == 0 {
					c.Booked = append(c.Booked, scheduling.WeeklyWindow{Weekday: time.Weekday(d), Start: at, End: at + 30})
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// A sanity check of the fixture: the determinism test compares real
// answers, not two empty lists.
func TestRandomCandidatesMatch(t *testing.T) {
	res := mustFind(t, Request{Instrument: "piano", Minutes: 30, From: local(2026, 2, 1, 9, 0), Limit: MaxLimit},
		randomCandidates(rand.New(rand.NewPCG(1, 2)), 40)...)
	if len(res.Matches) < 10 || len(res.Rejected) == 0 {
		t.Fatalf("%d matches, %d rejected", len(res.Matches), len(res.Rejected))
	}
	if !reflect.DeepEqual(res, mustFind(t, Request{Instrument: "piano", Minutes: 30, From: local(2026, 2, 1, 9, 0), Limit: MaxLimit},
		randomCandidates(rand.New(rand.NewPCG(1, 2)), 40)...)) {
		t.Error("same input, different answer")
	}
}
