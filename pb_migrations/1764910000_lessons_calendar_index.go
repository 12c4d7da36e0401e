package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The calendar query (lessons.LoadCalendars: the conflict check, public
// timeslots, check-conflicts' alternatives) reads teacher, student, room,
// start, end, status and id of every lesson of some teachers over a span.
// At ten times the seed (3.3 million lessons) a month of 200 teachers is
// 32,000 lessons, and looking each one up in the table took 250–960 ms;
// read from this covering index alone it took 8–26 ms (issue 14).
const lessonsCalendarIndex = "idx_lessons_teacher_calendar"

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("lessons")
		if err != nil {
			return err
		}
		if c.GetIndex(lessonsCalendarIndex) == "" {
			c.AddIndex(lessonsCalendarIndex, false, "`teacher`, `start`, `end`, `status`, `student`, `room`, `id`", "")
		}
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("lessons")
		if err != nil {
			return err
		}
		c.RemoveIndex(lessonsCalendarIndex)
		return app.Save(c)
	})
}
