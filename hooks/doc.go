// Package hooks is the academy's HTTP plumbing, shared by every route
// group: security headers, the rate limit, request logs, the cost limits
// and deadline of client queries (filter, sort, expand, ?fields=), record
// ids in paths, one body reader (body.go: every field error at once), the
// list parameters, access through the collections' rules (access.go,
// rule_fold.go), the answers every group gives alike (answers.go; a page
// of records written without PocketBase's encoder, record_json.go, or
// straight from its rows, list_rows.go), the static files, and Route, one line of the routes table. Register binds the
// plumbing, the table (wiring/routes.go) and last the static catch-all
// route, which must come after every other route. The serve command (CORS)
// is in cli.
//
// The handlers live in one package per route group under hooks/:
// authapi, peopleapi (students, teachers, availability), publicapi (the
// anonymous catalogue), lessonsapi, calendarsapi, workflowsapi,
// enrollmentsapi, billingapi, offersapi and opsapi (health, OpenAPI,
// doctor). Each reads the request with this package, checks access with
// the collections' rules, calls its capabilities and answers: creates 201,
// refused writes 403, validation errors 400. The model's own rules are
// record hooks in the capabilities, not here.
//
// hooks imports audit (the request's actor in logs and writes) and records
// (the one record-id pattern) and no other capability; it imports none of
// the route groups. wiring/import_graph_test.go holds it to that.
package hooks
