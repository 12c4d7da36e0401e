// Package letters owns what the academy's mail says and looks like: one
// layout that renders a letter's subject, html and plain-text parts from
// one source under the academy's name (layout.go), and lesson invites as
// iCalendar attachments (invite.go: METHOD:REQUEST / CANCEL, one stable UID
// per lesson, SEQUENCE rising with every change), so calendar apps update
// the event instead of adding a second one.
//
// It renders only: it does not queue or send (the outbox in workflows/
// does), and it decides nothing about who is told what (the academy's
// workflows do). It may import academy/ for the settings and PocketBase's
// core; nothing of hooks/, billing/ or the workflows.
package letters
