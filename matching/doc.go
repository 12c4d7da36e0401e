// Package matching picks teachers for a new student and says why, in words a
// parent understands. It is pure like scheduling/ (whose time types it
// reuses): plain structs in, plain structs out, no PocketBase, no clock of
// its own. The caller loads the teachers, their weekly availability and
// weekly lessons, and turns the suggested slot into a trial or first lesson
// through the usual scheduling guard.
//
// # Who qualifies
//
// A teacher is left out, with every reason said, when it does not teach the
// instrument, does not teach the student's level (a teacher who lists no
// levels is taken to teach all), does not offer the lesson length, has no
// room (active students ≥ capacity; a capacity of 0 means "not taking new
// students"), or has no free weekly time long enough for the lesson.
//
// # Score
//
// Every qualified teacher gets points from five factors (at most 110):
//
//	fit                10  teaches the level asked for (or none was asked); 5 when the teacher lists no levels
//	times              40  × share of the family's preferred weekly times in which a lesson fits the teacher's free time
//	load               20  × share of the teacher's capacity still free
//	preferred_teacher  25  the teacher the family asked for
//	siblings           15  teaches a sibling and is free right before or after that lesson, same day;
//	                    5  teaches a sibling, but not free next to that lesson
//
// Points are kept in tenths as integers, so equal inputs give exactly equal
// scores. Ties are broken, in order, by: more preferred times matched, more
// free minutes inside the preferred times, lower load (active/capacity),
// display name (case-insensitive), id. Ids are unique, so the order is total
// and does not depend on the order of the input.
//
// # Free time
//
// Free weekly time is the teacher's availability minus its weekly lessons,
// each widened by the academy's buffer; all of it wall-clock time in the
// academy's zone, so a Monday 16:00 stays Monday 16:00 across daylight-saving
// changes. A lesson fits a preferred time when it lies wholly inside both the
// preferred window and one free span; the earliest such start is offered.
// Only the first occurrence of the suggested slot is a concrete instant: the
// first date on or after Request.From on which that wall-clock time exists
// and neither the teacher's time off nor a closure covers it.
//
// This package imports only the standard library and scheduling/.
package matching
