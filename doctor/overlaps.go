package doctor

import (
	"fmt"
	"strconv"
)

// overlaps.go: no two live (not cancelled) lessons overlap for one
// teacher, padded by the academy's buffer, nor for one student or one room
// (which may go back to back), exactly as scheduling.Calendar.Check reads
// them. Each pair is found once by a self-join that walks the
// (teacher|student|room, start) index from each lesson's start to its end
// (plus the buffer): for a <= b by start, they clash when b starts before a
// ends (+ buffer). That is n index seeks, not n² comparisons; the index is
// named so that stale planner statistics cannot turn it into a scan.

type overlapRule struct {
	code   string
	column string
	who    string
	buffer bool
}

var overlapRules = []overlapRule{
	{"lesson_overlap_teacher", "teacher", "teacher", true},
	{"lesson_overlap_student", "student", "student", false},
	{"lesson_overlap_room", "room", "room", false},
}

type overlapRow struct {
	A      string `db:"a"`
	B      string `db:"b"`
	Who    string `db:"who"`
	AStart string `db:"a_start"`
	AEnd   string `db:"a_end"`
	BStart string `db:"b_start"`
}

func checkOverlaps(c *checker) error {
	buffer := int(c.settings.Buffer.Minutes())
	for _, rule := range overlapRules {
		until := "a.[[end]]"
		if rule.buffer && buffer > 0 {
			// Dates are stored as "2006-01-02 15:04:05.000Z"; strftime's %f
			// is "SS.SSS", so this keeps the stored form and compares as text.
			until = "strftime('%Y-%m-%d %H:%M:%fZ', a.[[end]], '+" + strconv.Itoa(buffer) + " minutes')"
		}
		col := rule.column
		var rows []overlapRow
		err := c.app.DB().NewQuery(`
			SELECT a.id AS a, b.id AS b, a.[[` + col + `]] AS who, a.start AS a_start, a.[[end]] AS a_end, b.start AS b_start
			FROM lessons a
			JOIN lessons b INDEXED BY idx_lessons_` + col + `_start
			  ON b.[[` + col + `]] = a.[[` + col + `]]
			 AND b.start >= a.start AND b.start < ` + until + `
			 AND (b.start > a.start OR b.id > a.id)
			WHERE a.[[` + col + `]] != '' AND a.status != 'cancelled' AND b.status != 'cancelled'`).All(&rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			what := "overlap"
			if rule.buffer && r.BStart >= r.AEnd {
				what = fmt.Sprintf("are closer than the %d-minute buffer", buffer)
			}
			msg := fmt.Sprintf("Lessons %s (%s–%s) and %s (from %s) of %s %s %s.",
				r.A, r.AStart, r.AEnd, r.B, r.BStart, rule.who, r.Who, what)
			c.violation(rule.code, msg, ref("lessons", r.A), ref("lessons", r.B), ref(rule.who+"s", r.Who))
		}
	}
	var live int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM lessons WHERE status != 'cancelled'").Row(&live); err != nil {
		return err
	}
	c.report.Counts["live_lessons"] = live
	return nil
}
