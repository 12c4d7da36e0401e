// Package mailpit runs a real SMTP server for tests: the mailpit binary
// (github.com/axllent/mailpit, installed with `go install`) on free
// loopback ports, with its version check off. Tests point an app's SMTP
// settings at it (Configure) and read what arrived through mailpit's HTTP
// API (Messages, Message, Part, DeleteAll). Without the binary the test is
// skipped, unless MAILPIT_REQUIRED is set (CI sets it): then it fails.
//
// It imports only PocketBase (core, tests, mailer) and the standard
// library; nothing of the academy.
package mailpit
