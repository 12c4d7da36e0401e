// Package audit owns the audit log (the audit_logs collection): one entry
// per create, update and delete of the academy's domain collections,
// written in the same transaction as the change, whatever the path (the
// record API, the admin UI, the /api/v1 routes, Go code), and append-only.
//
// Who is recorded as the actor of a write, in this order:
//
//  1. the record's own stamp: the record API's request hooks stamp the
//     signed-in caller ("users:<id>", "_superusers:<id>", or "guest") with
//     the request id and IP on the record being written;
//  2. the actor of the app the write goes through: RunInTransaction(app,
//     actor, fn) hands fn a txApp whose writes are recorded as actor. The
//     writes that a recorded write causes inside its transaction (other
//     record hooks, PocketBase's cascade deletes) go through such an app
//     too, so they are recorded as the same actor;
//  3. otherwise "system" (CLI, migrations, workflows, webhooks).
//
// Code that is not an HTTP handler but acts for a caller (billing on a
// route's behalf) receives the actor in its context (ContextWithActor) and
// passes it to RunInTransaction itself.
//
// audit imports PocketBase only; any package may import it.
package audit
