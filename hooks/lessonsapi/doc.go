// Package lessonsapi serves /api/v1/lessons: list, book (one lesson or a
// series), check conflicts with alternatives, change, cancel, and the
// schedule view. The lessons guard decides every booking inside the write.
//
// It imports hooks (the plumbing), academy, freetime, lessons and
// scheduling.
package lessonsapi
