package matching

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Match is one qualified teacher with its score (the sum of the factors'
// points), the factors in a fixed order, and the slot to offer first.
type Match struct {
	Teacher   string   `json:"teacher"`
	Name      string   `json:"name"`
	Score     float64  `json:"score"`
	Factors   []Factor `json:"factors"`
	Suggested Slot     `json:"suggested"`
	Other     []Slot   `json:"other_slots"`
}

// Rejection is a teacher left out, with every reason.
type Rejection struct {
	Teacher string   `json:"teacher"`
	Name    string   `json:"name"`
	Reasons []Reason `json:"reasons"`
}

// Reason is why a teacher does not qualify: a code and a sentence.
type Reason struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Rejection codes.
const (
	RejectInstrument = "instrument_not_taught"
	RejectLevel      = "level_not_taught"
	RejectLength     = "length_not_offered"
	RejectFull       = "no_capacity"
	RejectNoTime     = "no_free_time"
)

// Result lists the best matches (at most Request.Limit) and every teacher
// left out, both in a stable order.
type Result struct {
	Matches  []Match     `json:"matches"`
	Rejected []Rejection `json:"rejected"`
}

// scored is a match with the keys that order it.
type scored struct {
	Match
	tenths, matched, overlap int
	active, capacity         int
	// for the slots, worked out only for the matches returned
	candidate Candidate
	free      week
	options   []option
}

// Find scores the candidates for the request and returns the best. It
// fails only on an invalid request (a *FieldError) or a missing zone.
func Find(a Academy, r Request, candidates []Candidate) (Result, error) {
	if a.Zone == nil {
		return Result{}, ErrZoneMissing
	}
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	limit := r.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	from := r.From.In(a.Zone)

	res := Result{Matches: []Match{}, Rejected: []Rejection{}}
	var all []*scored
	for _, c := range candidates {
		w := freeWeek(c, a.Buffer, from)
		if reasons := disqualify(r, c, w); len(reasons) > 0 {
			res.Rejected = append(res.Rejected, Rejection{Teacher: c.Teacher.ID, Name: c.Name, Reasons: reasons})
			continue
		}
		all = append(all, score(a, r, c, w))
	}

	slices.SortFunc(all, func(x, y *scored) int {
		return cmp.Or(
			cmp.Compare(y.tenths, x.tenths),
			cmp.Compare(y.matched, x.matched),
			cmp.Compare(y.overlap, x.overlap),
			cmp.Compare(x.active*y.capacity, y.active*x.capacity), // lower load first
			compareNames(x.Name, x.Teacher, y.Name, y.Teacher),
		)
	})
	for _, s := range all[:min(limit, len(all))] {
		s.Suggested, s.Other = slotsFor(a, r, s.candidate, s.free, s.options)
		if s.Other == nil {
			s.Other = []Slot{}
		}
		res.Matches = append(res.Matches, s.Match)
	}
	slices.SortFunc(res.Rejected, func(x, y Rejection) int {
		return compareNames(x.Name, x.Teacher, y.Name, y.Teacher)
	})
	return res, nil
}

func compareNames(nameA, idA, nameB, idB string) int {
	return cmp.Or(
		cmp.Compare(strings.ToLower(nameA), strings.ToLower(nameB)),
		cmp.Compare(nameA, nameB),
		cmp.Compare(idA, idB),
	)
}

// disqualify lists every hard rule the candidate breaks.
func disqualify(r Request, c Candidate, w week) []Reason {
	var out []Reason
	add := func(code, text string) { out = append(out, Reason{Code: code, Text: text}) }
	if !slices.Contains(c.Teacher.Instruments, r.Instrument) {
		add(RejectInstrument, "Does not teach "+instrumentWord(r))
	}
	if r.Level != "" && len(c.Levels) > 0 && !slices.Contains(c.Levels, r.Level) {
		add(RejectLevel, "Does not teach "+levelNoun(r.Level))
	}
	if !slices.Contains(c.Teacher.Lengths, r.Minutes) {
		add(RejectLength, fmt.Sprintf("Does not offer %d-minute lessons", r.Minutes))
	}
	switch {
	case c.Capacity <= 0:
		add(RejectFull, "Is not taking new students")
	case c.Active >= c.Capacity:
		add(RejectFull, fmt.Sprintf("Has no room for new students (%d of %d places taken)", c.Active, c.Capacity))
	}
	if !hasRoom(w, r.Minutes) {
		add(RejectNoTime, fmt.Sprintf("Has no free weekly time for a %d-minute lesson", r.Minutes))
	}
	return out
}

func hasRoom(w week, minutes int) bool {
	for _, spans := range w {
		if _, ok := earliestFit(spans, 0, 24*60, minutes); ok {
			return true
		}
	}
	return false
}

func score(a Academy, r Request, c Candidate, w week) *scored {
	times := timesFactor(r, w)
	factors := []factor{fitFactor(r, c), times.factor, loadFactor(c)}
	if f, ok := preferredFactor(r, c); ok {
		factors = append(factors, f)
	}
	opts := slices.Clone(times.fits)
	if sib, ok := siblingsFactor(r, c, w, a.Buffer); ok {
		factors = append(factors, sib.factor)
		opts = append(opts, sib.next...)
	}

	s := &scored{
		matched: times.matched, overlap: times.overlap, active: c.Active, capacity: c.Capacity,
		candidate: c, free: w, options: opts,
	}
	s.Teacher, s.Name = c.Teacher.ID, c.Name
	for _, f := range factors {
		s.tenths += f.tenths
		s.Factors = append(s.Factors, f.public())
	}
	s.Score = float64(s.tenths) / 10
	return s
}
