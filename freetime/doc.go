// Package freetime owns the academy's derived free time: each teacher's
// bookable slots per local day, derived once from availability, lessons,
// time off and closures and kept until one of them changes.
//
// "Changes" is decided by the database, not by hooks: the migration
// 1764900000_free_time_version puts SQLite triggers on those tables (and on
// teachers and the academy settings) that bump a one-row counter in the same
// transaction as the write. A write that rolls back leaves the counter
// alone; raw SQL, the batch API and other processes on the same data dir
// move it like any record save. The cache keeps what it derived at one
// counter value and drops everything when the value moves, so an answer is
// always the one a fresh computation would give.
//
// The cache serves read-only answers (public timeslots, check-conflicts'
// alternatives and its teacher profiles, the week and month views of callers
// who see every lesson). A request takes a Snapshot and reads the counter
// once. The check that decides a write stays in the write's
// transaction (lessons/guard.go) and never reads this cache.
//
// freetime imports lessons (to load calendars), scheduling, academy,
// records (whether its triggers exist) and PocketBase; hooks imports it.
package freetime
