package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The lessons and teachers lists end every sort on id so that pages never
// overlap (lessons: start, id; teachers: display_name, id). With start or
// display_name alone in the index, SQLite sorts each run of equal keys by
// id after reading all of it: at ten times the seed 1,000 lessons begin at
// the same hour, so the office's first page of lessons read about 1,000 rows
// to answer 20 (0.29× the built-in list, issue 14). With id in the index the
// walk is already in the list's order and stops after the page.
//
// A family's lessons are found through their students' index and sorted:
// at ten times the seed a family has about 1,800
// lessons a year, and with id beside start SQLite sorts and deduplicates
// them from the index, looking up only the page's rows (a family's first
// page: about 15 ms before, under 1 ms after, on the scale data). Each index
// keeps its name (doctor/overlaps.go names idx_lessons_student_start) and
// gains id as its last column.
var listOrderIndexes = []indexColumns{
	{"lessons", "idx_lessons_start", "`start`, `id`", "`start`"},
	{"lessons", "idx_lessons_student_start", "`student`, `start`, `id`", "`student`, `start`"},
	{"teachers", "idx_teachers_display_name", "`display_name`, `id`", "`display_name`"},
}

func init() {
	m.Register(func(app core.App) error {
		return setIndexColumns(app, listOrderIndexes, func(ix indexColumns) string { return ix.columns })
	}, func(app core.App) error {
		return setIndexColumns(app, listOrderIndexes, func(ix indexColumns) string { return ix.oldColumns })
	})
}

type indexColumns = struct{ collection, name, columns, oldColumns string }

// setIndexColumns redefines each index of indexes on the columns pick
// chooses. PocketBase rebuilds every index of a collection whose
// indexes changed (3.3 million lessons at ten times the seed), so each
// collection is saved once.
func setIndexColumns(app core.App, indexes []indexColumns, pick func(indexColumns) string) error {
	var order []string
	changed := map[string]*core.Collection{}
	for _, ix := range indexes {
		c := changed[ix.collection]
		if c == nil {
			var err error
			if c, err = app.FindCollectionByNameOrId(ix.collection); err != nil {
				return err
			}
			changed[ix.collection] = c
			order = append(order, ix.collection)
		}
		c.RemoveIndex(ix.name)
		c.AddIndex(ix.name, false, pick(ix), "")
	}
	for _, name := range order {
		if err := app.Save(changed[name]); err != nil {
			return err
		}
	}
	return nil
}
