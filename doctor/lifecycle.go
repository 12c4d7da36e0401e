package doctor

import (
	"fmt"

	"github.com/pocketbase/dbx"

	"cedarheights/lessons"
)

// lifecycle.go: what scheduling.LessonLifecycle and the lesson guard keep
// true of every stored lesson, whatever moves it went through:
//   - attendance (completed, no_show) is known only once a lesson starts;
//   - the cancellation fields (cancelled_at, cancelled_by,
//     cancellation_note) describe cancelled lessons only, and a cancelled
//     lesson has all three (the guard stamps them);
//   - a lesson ends after it starts and lasts at most lessons.MaxLength.

type lifecycleRule struct {
	code  string
	where string
	msg   string
}

func lifecycleRules(c *checker) []lifecycleRule {
	maxMinutes := int(lessons.MaxLength.Minutes())
	return []lifecycleRule{
		{"lesson_attended_in_future", "status IN ('completed', 'no_show') AND start > {:now}",
			"is marked %[2]s but starts at %[3]s, in the future: attendance is known only once it starts."},
		{"lesson_cancellation_fields_on_live", "status != 'cancelled' AND (cancelled_at != '' OR cancelled_by != '' OR cancellation_note != '')",
			"is %[2]s but carries cancellation fields, which belong to cancelled lessons only."},
		{"lesson_cancellation_incomplete", "status = 'cancelled' AND (cancelled_at = '' OR cancelled_by = '' OR cancellation_note = '')",
			"is cancelled without who, when and the make-up decision (cancelled_by, cancelled_at, cancellation_note)."},
		{"lesson_bad_span", "[[end]] <= start",
			"ends (%[4]s) before it starts (%[3]s)."},
		{"lesson_too_long", fmt.Sprintf("[[end]] > strftime('%%Y-%%m-%%d %%H:%%M:%%fZ', start, '+%d minutes')", maxMinutes),
			fmt.Sprintf("lasts from %%[3]s to %%[4]s, longer than the %d minutes a lesson may last.", maxMinutes)},
	}
}

func checkLifecycle(c *checker) error {
	for _, rule := range lifecycleRules(c) {
		var rows []struct {
			ID     string `db:"id"`
			Status string `db:"status"`
			Start  string `db:"start"`
			End    string `db:"end"`
		}
		err := c.app.DB().Select("id", "status", "start", "end").From("lessons").
			Where(dbx.NewExp(rule.where, dbx.Params{"now": c.nowDB()})).All(&rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c.violation(rule.code, fmt.Sprintf("Lesson %[1]s "+rule.msg, r.ID, r.Status, r.Start, r.End), ref("lessons", r.ID))
		}
	}
	var all int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM lessons").Row(&all); err != nil {
		return err
	}
	c.report.Counts["lessons"] = all
	return nil
}
