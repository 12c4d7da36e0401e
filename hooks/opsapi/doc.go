// Package opsapi serves what operations read: /health (database, mail,
// billing, workers), the OpenAPI description (apispec) and the doctor's
// invariant report, for admins only.
//
// It imports hooks (the plumbing), apispec, billing, doctor and workflows.
package opsapi
