// Package notify holds the academy's notification workflows: the trial
// lesson confirmation (a run for every trial lesson created, and on
// request) and the hourly lesson reminders. Workflows registers them on a
// workflow registry; the wiring calls it. Mail leaves through the workflow
// engine's outbox, never straight from here.
//
// notify imports the workflow engine (workflows), the academy settings
// (academy) and PocketBase; nothing imports it but the wiring and the
// HTTP routes that start a confirmation (hooks).
package notify
