// Package wiring is the one place the academy's app is put together:
// Register binds every capability to a PocketBase app, in order, and main
// and every test app call it, so a test app is wired exactly like the
// server. A test that needs less says so with an Option.
//
// wiring is the only package that imports every capability (audit,
// records, lessons, billing, enrollment, notify, workflows, hooks); nothing but main,
// the test helpers (internal/testapp) and the test-only servers imports
// wiring.
package wiring
