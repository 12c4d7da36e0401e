package migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Families book for themselves, within limits the academy keeps: a parent
// books a make-up lesson for its own active child with an active teacher, on
// one of the child's instruments, and moves one of its own scheduled lessons
// at a time. The rules decide who may; the lesson guard (lessons/) adds what
// a rule cannot say: the time is in the future, the calendar is free, the
// teacher teaches the instrument, a credit is spent in the same transaction,
// and a move comes with the academy's notice and keeps the lesson's length.

// familyBooksMakeup reads the lesson being created (PocketBase evaluates a
// CreateRule against the new record's values), so defaults count too: the
// /api/v1 route books a regular lesson unless told otherwise. (The
// instrument test needs the `.id`: v0.39.11 does not match
// `student.instruments ?= instrument` against a create's values.)
const familyBooksMakeup = isParent + ` && student.parent = @request.auth.id && student.deleted = "" && student.status = "active"` +
	` && student.instruments.id ?= instrument && teacher.active = true` +
	` && kind = "makeup" && status = "scheduled" && series = "" && room = "" && teacher_notes = ""`

// familyMoves lets a parent change the time of its own scheduled lesson and
// nothing else; one lesson at a time (the /api/v1 route's ?scope=following
// stays the academy's, since it rewrites a series).
var familyMoves = isParent + ` && student.parent = @request.auth.id && student.deleted = "" && status = "scheduled"` +
	` && @request.body.start:isset = true` +
	unsetFields("teacher", "student", "instrument", "room", "kind", "status", "series", "teacher_notes",
		"cancelled_at", "cancelled_by", "cancellation_note") +
	` && (@request.query.scope:isset = false || @request.query.scope = "one")`

func init() {
	m.Register(func(app core.App) error {
		lessons, err := app.FindCollectionByNameOrId(idLessons)
		if err != nil {
			return err
		}
		lessons.CreateRule = rule(or(*lessons.CreateRule, familyBooksMakeup))
		lessons.UpdateRule = rule(*lessons.UpdateRule + " || (" + familyMoves + ")")
		return app.Save(lessons)
	}, func(app core.App) error {
		lessons, err := app.FindCollectionByNameOrId(idLessons)
		if err != nil {
			return err
		}
		lessons.CreateRule = rule(isAdmin)
		lessons.UpdateRule = rule(strings.TrimSuffix(*lessons.UpdateRule, " || ("+familyMoves+")"))
		return app.Save(lessons)
	})
}
