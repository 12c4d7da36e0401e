// Package billingapi serves payments (list, process, record, refund),
// billing (setup intent, portal, a family's ledger and preview), an
// enrollment's subscription and payment, and the Stripe webhook (a valid
// Stripe-Signature instead of a sign-in).
//
// It imports hooks (the plumbing), audit, billing and records.
package billingapi
