package cli

import (
	"errors"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// demo_busy.go: the demo may run while the server serves the same data
// folder. PocketBase's transactions are deferred, so when the server writes
// between one of the demo's reads and its first write, SQLite answers
// SQLITE_BUSY_SNAPSHOT (517) at once, which no busy timeout retries. Every
// phase of the demo is keyed and idempotent, so it is simply run again.

const demoBusyAttempts = 10

// retryBusy runs phase until it succeeds, fails for another reason, or
// SQLite stays busy demoBusyAttempts times.
func retryBusy(phase func() error) error {
	var err error
	for attempt := 1; attempt <= demoBusyAttempts; attempt++ {
		if err = phase(); err == nil || !sqliteBusy(err) || attempt == demoBusyAttempts {
			return err
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	return err
}

// sqliteBusy says whether err is SQLite's "database is locked" in any of
// its extended forms (SQLITE_BUSY_SNAPSHOT among them).
func sqliteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
