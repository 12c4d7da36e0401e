package records

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// MissingTriggers reports which of the named triggers the database lacks.
// Kept data (the free-time counter, student_teachers, the windows'
// version) is right only while the migrations' triggers exist; a table
// rebuilt by a later migration would drop them silently, so whoever keeps
// such data asks once per app and stands aside when one is missing.
func MissingTriggers(app core.App, names ...string) ([]string, error) {
	want := make([]any, len(names))
	for i, n := range names {
		want[i] = n
	}
	var found []string
	err := app.DB().Select("name").From("sqlite_master").
		Where(dbx.HashExp{"type": "trigger"}).AndWhere(dbx.In("name", want...)).Column(&found)
	if err != nil {
		return nil, fmt.Errorf("list the triggers: %w", err)
	}
	present := make(map[string]bool, len(found))
	for _, n := range found {
		present[n] = true
	}
	var missing []string
	for _, n := range names {
		if !present[n] {
			missing = append(missing, n)
		}
	}
	return missing, nil
}
