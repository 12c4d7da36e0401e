// Package records holds the academy's record rules that PocketBase's field
// options cannot express, bound as model hooks so every write path gets
// them: the users' default role, IANA time zones, end after start, birth
// dates not in the future, availability windows and their overlap. Their
// field errors join PocketBase's own, so the API answers one 400 naming
// each field. Register binds them; the wiring calls it.
// MissingTriggers tells the packages that keep data up to date through
// the migrations' SQLite triggers whether those triggers are all there.
//
// records imports scheduling (window arithmetic) and PocketBase only.
package records
