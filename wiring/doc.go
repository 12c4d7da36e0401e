// Package wiring is the one place the academy's app is put together:
// Register binds every capability to a PocketBase app, in order, and main
// and every test app call it, so a test app is wired exactly like the
// server. A test that needs less says so with an Option.
//
// routes.go is the routes table: every route of the API, one line each,
// naming its handler in the route group's package under hooks/.
//
// wiring is the only package that imports every capability (audit,
// records, lessons, billing, enrollment, notify, offers, workflows, the
// HTTP plumbing hooks and every route group); nothing but main, the test
// helpers (internal/testapp) and the test-only servers imports wiring.
// import_graph_test.go holds the graph to that.
package wiring
