// Package offersapi serves the link in a freed slot's offer mail:
// GET /api/v1/offers/{token} shows the offer (JSON, or a page with a button
// for a browser), POST .../accept books it. The token is the family's key.
// The offer, its View and the acceptance are offers'.
//
// It imports offers, academy and audit; it needs none of hooks' plumbing.
package offersapi
