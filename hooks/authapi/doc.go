// Package authapi serves the seed's /auth routes (login, me, refresh) as
// PocketBase's password auth and token refresh for `users`.
//
// It imports hooks (the plumbing) and PocketBase; no capability.
package authapi
