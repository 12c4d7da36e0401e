// Package peopleapi serves /api/v1/students (list, view, create, change,
// soft delete, restore), /api/v1/teachers (list, create) and a teacher's
// week of availability; the collections' rules decide who sees and
// changes what.
//
// It imports hooks (the plumbing), scheduling (availability windows),
// records (whether the triggers its kept answers rely on exist) and
// freetime (the office's teachers with their windows are kept under its
// counter, teachers_kept.go).
package peopleapi
