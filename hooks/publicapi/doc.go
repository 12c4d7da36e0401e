// Package publicapi serves the anonymous catalogue: /api/v1/public/
// teachers, pricing and timeslots (free time from freetime).
//
// It imports hooks (the plumbing), academy, freetime, lessons and
// scheduling.
package publicapi
