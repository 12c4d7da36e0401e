// Package notify holds the academy's notification workflows, each telling
// the family and the teacher about a lesson by mail with its .ics:
//
//   - trial_confirmation.go: a trial lesson booked (and on request);
//   - booking_confirmation.go: a regular lesson, a weekly series (one mail
//     listing every date) or a make-up booked;
//   - lesson_changes.go: a lesson moved, cancelled (with the make-up
//     decision and its reason) or reinstated;
//   - lesson_reminders.go: the hourly reminders a day ahead, skipping users
//     who turned them off;
//   - lesson_facts.go: what those mails share (the lesson as a letter
//     tells it, the invite, the mail on the academy's layout).
//
// Runs start from record triggers in the transaction that writes the
// lesson, whatever the path, so no booking goes untold after a crash.
// Workflows registers them on a workflow registry; the wiring calls it.
// Mail leaves through the workflow engine's outbox, never straight from
// here, each message under a key naming the event and the recipient.
//
// notify imports the workflow engine (workflows), the letters (letters),
// the academy settings (academy) and PocketBase; nothing imports it but
// the wiring and the HTTP routes that start a confirmation (hooks).
package notify
