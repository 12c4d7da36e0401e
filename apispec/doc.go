// Package apispec owns the OpenAPI 3.1 description of the academy's own
// routes (/api/v1 and /auth) and the checker that holds the code to it: the
// test apps bind Checker's middleware so every request and answer the tests
// make through those routes is validated against the description. It knows
// nothing of the routes' handlers; hooks/opsapi serves the description.
package apispec
