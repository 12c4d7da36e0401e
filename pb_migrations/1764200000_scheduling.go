package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Scheduling: cancellations with the make-up policy's answer recorded on
// the lesson, make-up credits, ICS feed tokens, and the lessons a closure
// cancelled.
func init() {
	m.Register(func(app core.App) error {
		lessons, err := app.FindCollectionByNameOrId(idLessons)
		if err != nil {
			return err
		}
		lessons.Fields.Add(
			&core.DateField{Name: "cancelled_at"},
			&core.SelectField{Name: "cancelled_by", Values: []string{"family", "academy"}, MaxSelect: 1},
			&core.TextField{Name: "cancellation_note", Max: 500, Help: "the make-up policy's decision, set by the server"},
		)
		// A family may cancel its own scheduled lesson (and say so); the
		// make-up policy then decides on a credit.
		familyCancels := isParent + ` && student.parent = @request.auth.id && status = "scheduled" && @request.body.status = "cancelled" && @request.body.cancelled_by = "family"` +
			unsetFields("teacher", "student", "instrument", "room", "start", "end", "kind", "series",
				"teacher_notes", "cancellation_note", "cancelled_at")
		// The teacher's attendance rule, restated so the server-set
		// cancellation fields stay out of its reach too.
		teacherRecords := isTeacher + ` && teacher.user = @request.auth.id` + unsetFields(
			"teacher", "student", "instrument", "room", "start", "end", "kind", "series",
			"cancelled_at", "cancelled_by", "cancellation_note") +
			` && (@request.body.status:isset = false || @request.body.status = "completed" || @request.body.status = "no_show" || @request.body.status = "scheduled")`
		lessons.UpdateRule = rule(or(teacherRecords, familyCancels, isAdmin))
		if err := app.Save(lessons); err != nil {
			return err
		}

		credits := core.NewBaseCollection("makeup_credits", idMakeupCredits)
		credits.Fields.Add(
			relation("student", idStudents, true),
			relation("source_lesson", idLessons, true),
			&core.TextField{Name: "reason", Required: true, Max: 500},
			&core.DateField{Name: "expires", Required: true},
			relation("used_by", idLessons, false),
			created(), updated(),
		)
		credits.AddIndex("idx_makeup_credits_student", false, "`student`, `expires`", "")
		credits.AddIndex("idx_makeup_credits_source", true, "`source_lesson`", "")
		credits.ListRule = rule(or(isParent+" && student.parent = @request.auth.id", isAdmin))
		credits.ViewRule = credits.ListRule
		credits.CreateRule = rule(isAdmin)
		credits.UpdateRule = rule(isAdmin)
		credits.DeleteRule = rule(isAdmin)
		if err := app.Save(credits); err != nil {
			return err
		}

		feeds := core.NewBaseCollection("calendar_feeds", idCalendarFeeds)
		feeds.Fields.Add(
			&core.SelectField{Name: "kind", Values: []string{"teacher", "family"}, MaxSelect: 1, Required: true},
			relation("teacher", idTeachers, false),
			relation("family", "_pb_users_auth_", false),
			&core.TextField{Name: "token", Required: true, Min: 32, Max: 64, Pattern: `^[A-Za-z0-9]+$`},
			created(), updated(),
		)
		feeds.AddIndex("idx_calendar_feeds_token", true, "`token`", "")
		feeds.AddIndex("idx_calendar_feeds_owner", true, "`kind`, `teacher`, `family`", "")
		// Owners read their own feed URL; tokens are minted and rotated by
		// the /api/v1/calendars routes only.
		feeds.ListRule = rule(or(isTeacher+" && teacher.user = @request.auth.id", isParent+" && family = @request.auth.id", isAdmin))
		feeds.ViewRule = feeds.ListRule
		feeds.DeleteRule = rule(isAdmin)
		if err := app.Save(feeds); err != nil {
			return err
		}

		closures, err := app.FindCollectionByNameOrId(idClosures)
		if err != nil {
			return err
		}
		closures.Fields.Add(&core.JSONField{Name: "cancelled_lessons", MaxSize: 1 << 20, Help: "lessons this closure cancelled, set by the server"})
		return app.Save(closures)
	}, func(app core.App) error {
		for _, id := range []string{idCalendarFeeds, idMakeupCredits} {
			if c, err := app.FindCollectionByNameOrId(id); err == nil {
				if err := app.Delete(c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// unsetFields is a rule fragment: none of these fields may be in the body.
func unsetFields(names ...string) string {
	out := ""
	for _, n := range names {
		out += " && @request.body." + n + ":isset = false"
	}
	return out
}
