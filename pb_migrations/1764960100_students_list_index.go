package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The students list walks students in name order (its default sort:
// last_name, first_name, id) and keeps the rows its rule allows. For a
// teacher that is `deleted = "" && teacher_users ~ <its id>`, about 20 of
// 5,000 students at the seed's size, so the walk reads nearly every row:
// through idx_students_last_name each one was a table lookup (3.7 ms a page,
// 0.3× the built-in list). With deleted and teacher_users in the index
// itself, SQLite decides each entry without the table and looks up only
// the page's rows, in order, with no sort for the trailing id (issue 14).
// It replaces idx_students_last_name, a prefix of it.
const (
	studentsListIndex    = "idx_students_name_list"
	studentsLastNameOnly = "idx_students_last_name"
)

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("students")
		if err != nil {
			return err
		}
		c.RemoveIndex(studentsLastNameOnly)
		if c.GetIndex(studentsListIndex) == "" {
			c.AddIndex(studentsListIndex, false, "`last_name`, `first_name`, `id`, `deleted`, `teacher_users`", "")
		}
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("students")
		if err != nil {
			return err
		}
		c.RemoveIndex(studentsListIndex)
		if c.GetIndex(studentsLastNameOnly) == "" {
			c.AddIndex(studentsLastNameOnly, false, "`last_name`, `first_name`", "")
		}
		return app.Save(c)
	})
}
