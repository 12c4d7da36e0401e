// Package sim plays a school year against the running academy: the built
// binary served as a process on its own data dir, the Stripe stand-in
// (billing/stripestub) for billing, mailpit for mail, and kill -9
// restarts at seeded points. Everything goes through the public surface:
// /api/v1 routes, PocketBase's record API and its batch API, and signed
// Stripe webhooks.
//
// A seeded PRNG picks every operation, its target and its parameters
// (enrollments, some invalid; weekly series across both daylight-saving
// changes; closures and time off added mid-term; cancellations inside and
// outside the notice; make-ups; freed-slot offers; availability changes;
// attendance; card declines and recoveries; refunds; disputes; duplicated
// and reordered webhooks; plan changes; withdrawals) and the bursts of
// concurrent conflicting writes. The driver keeps a model of what the
// server acknowledged and checks the server against it as it goes and at
// the end; the last step runs the binary's `doctor` on the data dir.
//
//   - env.go: the processes (server, Stripe stand-in, mailpit) and restarts;
//   - client.go: HTTP calls and their answers;
//   - academy.go: the academy the year starts from (batch API);
//   - calendar.go: the simulated calendar and its grid of slots;
//   - model.go: what the server acknowledged;
//   - ops_*.go: the operations; driver.go: the year's loop;
//   - verify.go: the model against the server, and doctor;
//     verify_stripe.go: the server's view of Stripe against the stand-in's.
//
// The same seed draws the same operations, parameters and kill points;
// what a request cut by a kill did is read back from the server.
package sim
