// Package enrollment owns the academy's enrollment workflow: a family asks
// for lessons (a signed-in parent, a new parent from the public site, or an
// admin for either), and one durable run on the workflow engine checks the
// request, finds or creates the parent and the student, picks the teacher
// (matching/), holds the trial lesson under the lesson guard, waits for a
// new parent's e-mail confirmation, sets up payment (billing/), records the
// enrollment and sends the welcome mail. A failure compensates what was
// done and tells the family in plain words; an admin's cancel does the
// same through a run of its own.
//
// Workflows registers both workflows and the users hook that signals an
// e-mail confirmation; the wiring calls it. Check and Alternatives are the
// synchronous checks the HTTP routes (hooks/enrollmentsapi) run before starting a run,
// Match the matching answer admins ask for.
//
// enrollment imports the workflow engine, lessons (the calendar and its
// guard), matching, scheduling, billing, academy and PocketBase; nothing
// imports it but the wiring, cli and hooks/enrollmentsapi.
package enrollment
