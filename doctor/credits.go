package doctor

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// credits.go: make-up credits as lessons/makeup_credits.go writes them.
// A credit is in exactly one state: revoked (taken back on reinstatement),
// spent (used_by), expired (expires passed unspent) or open, so granted =
// revoked + spent + expired + open holds by counting; what can break is
// each credit's story:
//   - it comes from a cancelled lesson of the same student whose
//     cancellation the make-up policy allowed (the note the guard stored
//     says so, or the policy applied to the lesson grants it); a revoked
//     credit's lesson was reinstated, so it need not be cancelled;
//   - it is not both spent and revoked;
//   - it is spent at most once, on a make-up lesson of its own student;
//   - every live make-up lesson spent a credit.

type creditRow struct {
	ID          string `db:"id"`
	Student     string `db:"student"`
	Source      string `db:"source_lesson"`
	UsedBy      string `db:"used_by"`
	Expires     string `db:"expires"`
	RevokedAt   string `db:"revoked_at"`
	SrcStatus   string `db:"src_status"`
	SrcStudent  string `db:"src_student"`
	SrcStart    string `db:"src_start"`
	SrcBy       string `db:"src_by"`
	SrcAt       string `db:"src_at"`
	SrcNote     string `db:"src_note"`
	SrcExists   bool   `db:"src_exists"`
	UsedKind    string `db:"used_kind"`
	UsedStudent string `db:"used_student"`
	UsedExists  bool   `db:"used_exists"`
}

func checkCredits(c *checker) error {
	var rows []creditRow
	err := c.app.DB().NewQuery(`
		SELECT m.id, m.student, m.source_lesson, m.used_by, m.expires, m.revoked_at,
		       COALESCE(s.status, '') AS src_status, COALESCE(s.student, '') AS src_student,
		       COALESCE(s.start, '') AS src_start, COALESCE(s.cancelled_by, '') AS src_by,
		       COALESCE(s.cancelled_at, '') AS src_at, COALESCE(s.cancellation_note, '') AS src_note,
		       s.id IS NOT NULL AS src_exists,
		       COALESCE(u.kind, '') AS used_kind, COALESCE(u.student, '') AS used_student, u.id IS NOT NULL AS used_exists
		FROM makeup_credits m
		LEFT JOIN lessons s ON s.id = m.source_lesson
		LEFT JOIN lessons u ON u.id = m.used_by AND m.used_by != ''`).All(&rows)
	if err != nil {
		return err
	}
	policy := scheduling.MakeupPolicy{Notice: c.settings.CancellationNotice, Validity: academy.MakeupValidity}
	now := c.nowDB()
	counts := map[string]int{}
	for _, r := range rows {
		id := ref("makeup_credits", r.ID)
		switch {
		case r.RevokedAt != "":
			counts["makeup_credits_revoked"]++
		case r.UsedBy != "":
			counts["makeup_credits_spent"]++
		case r.Expires <= now:
			counts["makeup_credits_expired"]++
		default:
			counts["makeup_credits_open"]++
		}
		switch {
		case !r.SrcExists:
			c.violation("makeup_credit_without_cancellation", fmt.Sprintf("Make-up credit %s names lesson %s as its cancellation, which does not exist.", r.ID, r.Source), id, ref("lessons", r.Source))
		case r.SrcStudent != r.Student:
			c.violation("makeup_credit_wrong_student", fmt.Sprintf("Make-up credit %s belongs to student %s but its cancelled lesson %s is student %s's.", r.ID, r.Student, r.Source, r.SrcStudent), id, ref("lessons", r.Source))
		case r.RevokedAt == "" && r.SrcStatus != "cancelled":
			c.violation("makeup_credit_without_cancellation", fmt.Sprintf("Make-up credit %s comes from lesson %s, which is %s, not cancelled (a reinstatement takes the credit back).", r.ID, r.Source, r.SrcStatus), id, ref("lessons", r.Source))
		case r.RevokedAt == "" && !policyAllowed(policy, r):
			c.violation("makeup_credit_not_allowed", fmt.Sprintf("Make-up credit %s comes from lesson %s, whose cancellation the make-up policy did not allow (%q).", r.ID, r.Source, r.SrcNote), id, ref("lessons", r.Source))
		}
		if r.RevokedAt != "" && r.UsedBy != "" {
			c.violation("makeup_credit_spent_and_revoked", fmt.Sprintf("Make-up credit %s is both spent (on lesson %s) and taken back.", r.ID, r.UsedBy), id, ref("lessons", r.UsedBy))
		}
		if r.UsedBy != "" {
			switch {
			case !r.UsedExists:
				c.violation("makeup_credit_spent_on_missing_lesson", fmt.Sprintf("Make-up credit %s is spent on lesson %s, which does not exist.", r.ID, r.UsedBy), id, ref("lessons", r.UsedBy))
			case r.UsedKind != "makeup" || r.UsedStudent != r.Student:
				c.violation("makeup_credit_spent_wrongly", fmt.Sprintf("Make-up credit %s of student %s is spent on lesson %s, a %s lesson of student %s (want a make-up lesson of the same student).", r.ID, r.Student, r.UsedBy, r.UsedKind, r.UsedStudent), id, ref("lessons", r.UsedBy))
			}
		}
	}
	for k, v := range counts {
		c.report.Counts[k] = v
	}
	c.report.Counts["makeup_credits"] = len(rows)

	var twice []struct {
		Lesson  string `db:"used_by"`
		Credits string `db:"credits"`
	}
	if err := c.app.DB().NewQuery(`SELECT used_by, group_concat(id) AS credits FROM makeup_credits
		WHERE used_by != '' GROUP BY used_by HAVING COUNT(*) > 1`).All(&twice); err != nil {
		return err
	}
	for _, t := range twice {
		ids := []string{ref("lessons", t.Lesson)}
		for _, id := range strings.Split(t.Credits, ",") {
			ids = append(ids, ref("makeup_credits", id))
		}
		c.violation("makeup_credit_spent_twice", fmt.Sprintf("Make-up lesson %s spent %d credits (%s); a make-up lesson spends one.", t.Lesson, len(ids)-1, t.Credits), ids...)
	}

	var unpaid []string
	if err := c.app.DB().Select("l.id").From("lessons l").
		Where(dbx.NewExp(`l.kind = 'makeup' AND l.status != 'cancelled'
			AND NOT EXISTS (SELECT 1 FROM makeup_credits m WHERE m.used_by = l.id)`)).Column(&unpaid); err != nil {
		return err
	}
	for _, id := range unpaid {
		c.violation("makeup_lesson_without_credit", fmt.Sprintf("Make-up lesson %s spent no make-up credit.", id), ref("lessons", id))
	}
	return nil
}

// policyAllowed: the decision stored with the cancellation, else the
// policy applied to the lesson now (the notice setting may have changed
// since, so the stored decision wins when there is one).
func policyAllowed(p scheduling.MakeupPolicy, r creditRow) bool {
	if strings.HasPrefix(r.SrcNote, "make-up credit:") {
		return true
	}
	if strings.HasPrefix(r.SrcNote, "no make-up credit:") {
		return false
	}
	return p.Decide(parseDB(r.SrcStart), parseDB(r.SrcAt), scheduling.CancelledBy(r.SrcBy)).Credit
}
