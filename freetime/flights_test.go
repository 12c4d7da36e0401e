package freetime_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cedarheights/freetime"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// TestColdMissesShareOneDerivation: requests that miss the same answer at
// the same counter value while it is being derived wait for that one
// derivation (a cold cache under load derived it once per request); after
// a write the next miss derives again, and a failed derivation is every
// waiter's error, not kept.
func TestColdMissesShareOneDerivation(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	c := freetime.For(app)

	var calls atomic.Int32
	slow := func(body string, err error) func() ([]byte, time.Time, error) {
		return func() ([]byte, time.Time, error) {
			calls.Add(1)
			time.Sleep(100 * time.Millisecond)
			return []byte(body), time.Time{}, err
		}
	}
	ask := func(key, body string, err error) []error {
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := c.Answer(app, key, slow(body, err))
				if err == nil && string(got) != body {
					err = errors.New("answered " + string(got))
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		return errs
	}

	for _, err := range ask("week", "v1", nil) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Swap(0); n != 1 {
		t.Fatalf("16 concurrent misses derived %d times, want 1", n)
	}

	// A write moves the counter: the next misses derive once again.
	teacher := testapp.Record(t, app, "teachers", f.TeacherX)
	teacher.Set("bio", "moved the counter")
	if err := app.Save(teacher); err != nil {
		t.Fatal(err)
	}
	ask("week", "v2", nil)
	if n := calls.Swap(0); n != 1 {
		t.Fatalf("after a write: %d derivations, want 1", n)
	}

	boom := errors.New("boom")
	for _, err := range ask("failing", "", boom) {
		if !errors.Is(err, boom) {
			t.Fatalf("a waiter got %v, want the derivation's error", err)
		}
	}
	ask("failing", "ok", nil)
	if n := calls.Swap(0); n != 2 {
		t.Fatalf("%d derivations of the failing key, want 2 (the error is not kept)", n)
	}
}
