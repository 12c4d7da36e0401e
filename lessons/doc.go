// Package lessons is the lesson model: the record hooks that every write
// of a lesson passes, whatever the path (the record API, the admin UI,
// batch requests, the /api/v1 routes, Go code), inside the write's own
// transaction:
//
//   - guard.go: the calendar check (teacher availability, time off,
//     closures, double bookings, buffers, instruments) and the lifecycle;
//   - lifecycle.go: which status moves a mover may make, and when;
//   - reschedule.go: when a family may move its own lesson (with the
//     academy's notice, keeping its length);
//   - makeup_credits.go: a credit granted on cancellation by the make-up
//     policy, spent by a make-up lesson, taken back on reinstatement;
//   - closures.go: a closure cancels the lessons it covers;
//   - student_teachers.go: students.teacher_users, which the students'
//     rules read;
//   - calendar.go: the rows around a time span loaded into
//     scheduling.Calendar values (the HTTP routes use it too).
//
// The rules themselves are pure and live in scheduling; this package is
// their PocketBase glue. Register binds the hooks; the wiring calls it.
//
// lessons imports scheduling, academy, audit (who moves a lesson) and
// PocketBase; it knows nothing of HTTP routes (hooks imports it).
package lessons
