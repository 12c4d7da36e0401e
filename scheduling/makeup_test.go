package scheduling

import (
	"testing"
	"time"
)

func TestMakeupPolicy(t *testing.T) {
	p := MakeupPolicy{Notice: 24 * time.Hour, Validity: 60 * 24 * time.Hour}
	start := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		at     time.Time
		by     CancelledBy
		credit bool
	}{
		{"two days ahead", start.Add(-48 * time.Hour), CancelledByFamily, true},
		{"exactly the notice", start.Add(-24 * time.Hour), CancelledByFamily, true},
		{"a minute late", start.Add(-24*time.Hour + time.Minute), CancelledByFamily, false},
		{"after the start", start.Add(time.Hour), CancelledByFamily, false},
		{"academy, late", start.Add(-time.Hour), CancelledByAcademy, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := p.Decide(start, c.at, c.by)
			if d.Credit != c.credit || d.Reason == "" {
				t.Fatalf("%+v", d)
			}
			if c.credit && !d.ExpiresAt.Equal(c.at.Add(p.Validity)) {
				t.Fatalf("expires %s", d.ExpiresAt)
			}
			if !c.credit && !d.ExpiresAt.IsZero() {
				t.Fatalf("refusal with expiry %s", d.ExpiresAt)
			}
		})
	}
}
