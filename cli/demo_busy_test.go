package cli

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// realBusyError makes SQLite answer "database is locked" for real: one
// connection holds the write lock, another writes without waiting.
func realBusyError(t *testing.T) error {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "busy.db") + "?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)"
	holder, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	if _, err := holder.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	_, err = other.Exec("INSERT INTO t VALUES (2)")
	if err == nil {
		t.Fatal("a second writer was not refused")
	}
	return err
}

func TestRetryBusy(t *testing.T) {
	t.Parallel() // giving up sleeps 4.5 s between attempts
	busy := realBusyError(t)
	if !sqliteBusy(busy) {
		t.Fatalf("sqliteBusy(%v) = false", busy)
	}
	other := errors.New("no such table")
	cases := []struct {
		name      string
		failures  []error // what the phase answers, call by call; then nil
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", nil, 1, nil},
		{"busy twice, then done", []error{busy, busy}, 3, nil},
		{"another error is not retried", []error{other, busy}, 1, other},
		{"busy every time gives up", repeat(busy, demoBusyAttempts+5), demoBusyAttempts, busy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			err := retryBusy(func() error {
				calls++
				if calls <= len(c.failures) {
					return c.failures[calls-1]
				}
				return nil
			})
			if calls != c.wantCalls || !errors.Is(err, c.wantErr) {
				t.Errorf("calls %d, err %v; want %d, %v", calls, err, c.wantCalls, c.wantErr)
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
