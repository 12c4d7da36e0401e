// Package billing owns the academy's money: the link to Stripe (customers,
// prices, subscriptions, payment intents, refunds), the signed, deduplicated
// and order-safe processing of Stripe's webhook events, dunning and receipts,
// and the family ledger that every money movement is written to and that
// reconciles with Stripe. Without a secret key the academy runs offline:
// payments are recorded by hand into the same ledger, a valid mode rather
// than an error. It writes only its own collections (billing_customers,
// stripe_events, stripe_objects, ledger_entries, billing_notices) and the
// billing fields of payments and enrollments; HTTP lives in hooks/billingapi.
//
// Register binds its record hooks and the re-queue of stored events on
// serve; Workflows registers its workflow (stripe_event) on the engine's
// registry. The wiring calls both.
//
// billing imports stripe-go, PocketBase, the workflow engine (workflows)
// and the audit log (audit: its writes for a route's caller are recorded
// as that caller).
package billing
