package workflows

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tools/cron"
)

func TestMergeState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                   string
		current, base, updated string
		merged, diff           string
	}{
		{"alone", `{"a":1,"b":2}`, `{"a":1,"b":2}`, `{"a":1,"b":3}`, `{"a":1,"b":3}`, `{"b":3}`},
		{"parallel writers keep both", `{"a":9,"b":2}`, `{"a":1,"b":2}`, `{"a":1,"b":3}`, `{"a":9,"b":3}`, `{"b":3}`},
		{"removed field", `{"a":9,"b":2}`, `{"a":1,"b":2}`, `{"a":1}`, `{"a":9}`, `{"b":null}`},
		{"not an object", `[1]`, `[1]`, `[2]`, `[2]`, `[2]`},
		{"null", `null`, `null`, `{"a":1}`, `{"a":1}`, `{"a":1}`},
		{"nothing changed", `{"a":1}`, `{"a":1}`, `{"a":1}`, `{"a":1}`, `{}`},
		{"nested values and strings", `{"z":{"x":[1,{"y":"}]"}]},"s":"a\"b,","n":null}`, `{"z":{"x":[1,{"y":"}]"}]},"s":"a\"b,","n":null}`,
			`{"z":{"x":[1,{"y":"}]"}]},"s":"a\"b,!","t":true}`, `{"z":{"x":[1,{"y":"}]"}]},"s":"a\"b,!","t":true}`, `{"n":null,"s":"a\"b,!","t":true}`},
		{"keys sorted as Marshal sorts them", `{}`, `{}`, `{"b":1,"a b":2,"a":3}`, `{"b":1,"a b":2,"a":3}`, `{"a":3,"a b":2,"b":1}`},
		{"escaped key", `{}`, `{}`, `{"\u003c":1}`, `{"\u003c":1}`, `{"\u003c":1}`},
		{"spaces", `{ "a" : 1 }`, `{ "a" : 1 }`, `{"a":2}`, `{"a":2}`, `{"a":2}`},
	}
	for _, c := range cases {
		merged, diff := mergeState([]byte(c.current), []byte(c.base), []byte(c.updated))
		if string(merged) != c.merged || string(diff) != c.diff {
			t.Errorf("%s: merged %s diff %s, want %s %s", c.name, merged, diff, c.merged, c.diff)
		}
	}
}

// TestScanDiffIsMarshalsDiff: where the scanner reads a state, its diff is
// byte for byte the one json.Unmarshal and Marshal give.
func TestScanDiffIsMarshalsDiff(t *testing.T) {
	t.Parallel()
	states := []string{`{}`, `{"a":1}`, `{"a":2,"b":[1,2]}`, `{"b":[1,2],"c":{"d":"e\\"}}`, `{"a":"x","c":{"d":"e\\"},"e":1.5e3}`,
		`{"a":"\u003cb\u003e","z":false}`, `{"A":1,"a":2,"_":3,"0":4}`}
	for _, base := range states {
		for _, updated := range states {
			got, ok := scanDiff([]byte(base), []byte(updated))
			if !ok {
				t.Errorf("%s → %s: not scanned", base, updated)
				continue
			}
			var b, u map[string]json.RawMessage
			json.Unmarshal([]byte(base), &b)
			json.Unmarshal([]byte(updated), &u)
			changes := map[string]json.RawMessage{}
			for k, v := range u {
				if old, ok := b[k]; !ok || string(old) != string(v) {
					changes[k] = v
				}
			}
			for k := range b {
				if _, ok := u[k]; !ok {
					changes[k] = json.RawMessage("null")
				}
			}
			want, _ := json.Marshal(changes)
			if string(got) != string(want) {
				t.Errorf("%s → %s: diff %s, want %s", base, updated, got, want)
			}
		}
	}
	for _, s := range []string{`{"a":1,"a":2}`, `{"\"":1}`, `[1]`, `{"a":1`, `{"a" 1}`, `{"a":1}x`} {
		if _, ok := members(nil, []byte(s)); ok {
			t.Errorf("%s: scanned, want it left to json.Unmarshal", s)
		}
	}
}

func TestBackoffIsCappedFullJitter(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 8: time.Second} {
		var top time.Duration
		for range 2000 {
			d := p.backoff(attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceiling)
			}
			top = max(top, d)
		}
		if top < ceiling*8/10 {
			t.Errorf("attempt %d: never above %v of %v: not full jitter", attempt, top, ceiling)
		}
	}
}

func TestLatestDue(t *testing.T) {
	t.Parallel()
	s, _ := cron.NewSchedule("30 9 * * 1") // Mondays 09:30
	mon := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	if got := latestDue(s, mon.Add(-time.Minute), mon); !got.Equal(mon) {
		t.Errorf("due now: %v", got)
	}
	if got := latestDue(s, mon, mon.Add(6*24*time.Hour)); !got.IsZero() {
		t.Errorf("nothing due after the fired slot: %v", got)
	}
	if got := latestDue(s, mon.Add(-30*24*time.Hour), mon.Add(time.Hour)); !got.Equal(mon) {
		t.Errorf("latest of several missed: %v", got)
	}
}

// TestDataDirLock: one holder at a time, in this process too; the file
// names the holder; closing frees it for the next.
func TestDataDirLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := lockDataDir(dir, "host:1:first")
	if errors.Is(err, errLockUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir, "host:2:second"); !errors.Is(err, errLockHeld) {
		t.Fatalf("second lock while the first is held: %v, want errLockHeld", err)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, lockFileName)); string(raw) != "host:1:first\n" {
		t.Errorf("lock file holds %q", raw)
	}
	first.Close()
	third, err := lockDataDir(dir, "host:3:third")
	if err != nil {
		t.Fatalf("lock after the holder closed it: %v", err)
	}
	defer third.Close()
	if raw, _ := os.ReadFile(filepath.Join(dir, lockFileName)); string(raw) != "host:3:third\n" {
		t.Errorf("lock file holds %q", raw)
	}
}
