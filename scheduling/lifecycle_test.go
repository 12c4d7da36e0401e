package scheduling

import (
	"strings"
	"testing"
	"time"
)

func TestLessonMoveCheck(t *testing.T) {
	now := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		move      LessonMove
		code      string // "" allowed
		forbidden bool
	}{
		{"teacher marks at the start", LessonMove{LessonScheduled, LessonCompleted, MoverTeacher, now, now}, "", false},
		{"teacher marks a minute early", LessonMove{LessonScheduled, LessonCompleted, MoverTeacher, now.Add(time.Minute), now}, CodeNotStarted, false},
		{"family cancels ahead", LessonMove{LessonScheduled, LessonCancelled, MoverFamily, now.Add(time.Minute), now}, "", false},
		{"family cancels at the start", LessonMove{LessonScheduled, LessonCancelled, MoverFamily, now, now}, CodeStarted, false},
		{"admin cancels after the start", LessonMove{LessonScheduled, LessonCancelled, MoverAdmin, now.Add(-time.Hour), now}, "", false},
		{"teacher cancels", LessonMove{LessonScheduled, LessonCancelled, MoverTeacher, now.Add(time.Hour), now}, CodeNotYours, true},
		{"teacher un-cancels", LessonMove{LessonCancelled, LessonScheduled, MoverTeacher, now.Add(time.Hour), now}, CodeNotYours, true},
		{"admin reinstates", LessonMove{LessonCancelled, LessonScheduled, MoverAdmin, now.Add(time.Hour), now}, "", false},
		{"admin marks a cancelled lesson held", LessonMove{LessonCancelled, LessonCompleted, MoverAdmin, now.Add(-time.Hour), now}, CodeNoSuchTransition, false},
		{"another teacher marks", LessonMove{LessonScheduled, LessonNoShow, MoverOther, now.Add(-time.Hour), now}, CodeNotYours, true},
		{"Go code books a held lesson", LessonMove{LessonNew, LessonCompleted, MoverSystem, now.Add(-time.Hour), now}, "", false},
		{"Go code books a held lesson ahead", LessonMove{LessonNew, LessonNoShow, MoverSystem, now.Add(time.Hour), now}, CodeNotStarted, false},
		{"family books ahead", LessonMove{LessonNew, LessonScheduled, MoverFamily, now.Add(time.Minute), now}, "", false},
		{"family books at the start", LessonMove{LessonNew, LessonScheduled, MoverFamily, now, now}, CodeStarted, false},
		{"family books a held lesson", LessonMove{LessonNew, LessonCompleted, MoverFamily, now.Add(-time.Hour), now}, CodeNotYours, true},
		{"family books a cancelled lesson", LessonMove{LessonNew, LessonCancelled, MoverFamily, now.Add(time.Hour), now}, CodeNotYours, true},
		{"teacher books", LessonMove{LessonNew, LessonScheduled, MoverTeacher, now.Add(time.Hour), now}, CodeNotYours, true},
		{"another family books", LessonMove{LessonNew, LessonScheduled, MoverOther, now.Add(time.Hour), now}, CodeNotYours, true},
		{"notes on an attended lesson", LessonMove{LessonCompleted, LessonCompleted, MoverTeacher, now.Add(-time.Hour), now}, "", false},
		{"attended lesson moved ahead", LessonMove{LessonNoShow, LessonNoShow, MoverAdmin, now.Add(time.Hour), now}, CodeNotStarted, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.move.Check()
			switch {
			case c.code == "" && r != nil:
				t.Fatalf("refused: %+v", r)
			case c.code == "":
			case r == nil:
				t.Fatalf("allowed, want %s", c.code)
			case r.Code != c.code || r.Forbidden != c.forbidden || r.Message == "":
				t.Fatalf("%+v, want %s (forbidden %v)", r, c.code, c.forbidden)
			}
		})
	}
	r := LessonMove{LessonCancelled, LessonScheduled, MoverTeacher, now, now}.Check()
	if !strings.Contains(r.Message, "admin") {
		t.Errorf("refusal does not say who may: %q", r.Message)
	}
	// A late booking is about its time, a late cancellation about the status.
	if r := (LessonMove{LessonNew, LessonScheduled, MoverFamily, now, now}).Check(); r.Field != "start" || !strings.Contains(r.Message, "future") {
		t.Errorf("late booking: %+v", r)
	}
	if r := (LessonMove{LessonScheduled, LessonCancelled, MoverFamily, now, now}).Check(); r.Field != "" {
		t.Errorf("late cancellation: %+v", r)
	}
}

// Each (from, to, mover) has at most one edge, so its time condition is
// never ambiguous; nothing enters "new"; every edge joins known statuses.
func TestLessonLifecycleIsWellFormed(t *testing.T) {
	type key struct {
		from, to LessonStatus
		by       Mover
	}
	seen := map[key]bool{}
	for _, tr := range LessonLifecycle {
		if tr.From == tr.To || !tr.To.Known() || (tr.From != LessonNew && !tr.From.Known()) {
			t.Errorf("bad edge %+v", tr)
		}
		for _, by := range tr.By {
			k := key{tr.From, tr.To, by}
			if seen[k] {
				t.Errorf("two edges for %+v", k)
			}
			seen[k] = true
			if by == MoverOther {
				t.Errorf("edge %+v open to anyone", tr)
			}
		}
	}
}
