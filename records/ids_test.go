package records_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/records"
)

func TestIDPattern(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"abc123def456ghi", true},
		{"custom_ID_9", true},
		{"", false},
		{"a b", false},
		{"a'b", false},
		{`"`, false},
		{"a.b", false},
		{string(make([]byte, 101)), false},
	} {
		if got := records.IDPattern.MatchString(tc.id); got != tc.want {
			t.Errorf("IDPattern(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
	// Every id PocketBase generates, and every id it accepts, matches.
	for range 100 {
		id := security.RandomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789")
		if !records.IDPattern.MatchString(id) || !core.DefaultIdRegex.MatchString(id) {
			t.Fatalf("generated id %q refused", id)
		}
	}
	for _, id := range []string{"a b", "a-b", "é"} {
		if core.DefaultIdRegex.MatchString(id) {
			t.Errorf("PocketBase now accepts %q as an id: widen IDPattern to match", id)
		}
	}
}
