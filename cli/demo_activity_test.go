package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
)

// The demo's academy life: enrollments in every state made by the
// enrollment workflow, payments in a consistent ledger, make-up credits
// granted by the lesson model, runs of each workflow; a second load
// doubles nothing. The term is the one two weeks from today, so there are
// upcoming lessons to cancel and remind whatever the date.
func TestDemoActivityIsRealAndIdempotent(t *testing.T) {
	t.Parallel()
	app := bareApp(t, "UTC")
	anchor := time.Now().AddDate(0, 0, 14)
	var log bytes.Buffer
	if _, _, err := loadDemo(app, demoSizes["demo"], anchor, &log); err != nil {
		t.Fatalf("first load: %v\n%s", err, log.String())
	}
	after := counts(t, app)

	t.Run("enrollments in every state, by the workflow", func(t *testing.T) {
		want := map[string]struct {
			enrollments int
			run         string
		}{
			"active": {3, "completed"}, "pending_confirmation": {2, "waiting"},
			"failed": {2, "failed"}, "cancelled": {1, "completed"},
		}
		rows := []struct {
			Status    string `db:"status"`
			Reason    string `db:"failure_reason"`
			Run       string `db:"run"`
			RunStatus string `db:"run_status"`
			Trial     string `db:"trial_lesson"`
			Lesson    string `db:"lesson_status"`
			Verified  bool   `db:"verified"`
		}{}
		err := app.DB().NewQuery(`SELECT e.status, e.failure_reason, e.run, r.status AS run_status, e.trial_lesson,
				COALESCE(l.status, '') AS lesson_status, u.verified
			FROM enrollments e JOIN workflow_runs r ON r.id = e.run JOIN students s ON s.id = e.student JOIN users u ON u.id = s.parent
			LEFT JOIN lessons l ON l.id = e.trial_lesson WHERE e.run != ''`).All(&rows)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rows {
			got[r.Status]++
			w := want[r.Status]
			if r.RunStatus != w.run {
				t.Errorf("%s enrollment: run %s is %s, want %s", r.Status, r.Run, r.RunStatus, w.run)
			}
			switch r.Status {
			case "active", "pending_confirmation":
				if r.Lesson != "scheduled" {
					t.Errorf("%s enrollment: trial lesson %q is %q, want scheduled", r.Status, r.Trial, r.Lesson)
				}
				if r.Status == "pending_confirmation" && r.Verified {
					t.Error("a family waiting to confirm its address is verified")
				}
			case "failed":
				if r.Lesson != "" || !strings.Contains(r.Reason, "not confirmed in time") {
					t.Errorf("failed enrollment: trial lesson %q still there, reason %q", r.Lesson, r.Reason)
				}
			case "cancelled":
				if r.Lesson != "" || !strings.Contains(r.Reason, "cancelled by the academy") {
					t.Errorf("cancelled enrollment: trial lesson %q still there, reason %q", r.Lesson, r.Reason)
				}
			}
		}
		for status, w := range want {
			if n := got[status]; w.enrollments != n {
				t.Errorf("%d %s enrollments by the workflow, want %d", n, status, w.enrollments)
			}
		}
	})

	t.Run("runs of each workflow", func(t *testing.T) {
		rows := []struct {
			Name   string `db:"name"`
			Status string `db:"status"`
			N      int    `db:"n"`
		}{}
		if err := app.DB().NewQuery("SELECT name, status, COUNT(*) AS n FROM workflow_runs GROUP BY name, status").All(&rows); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range rows {
			got[r.Name+" "+r.Status] = r.N
		}
		// Each of the eight trial lessons booked started its confirmation;
		// the four cancellations and the make-up were told by their lesson
		// mail, and each cancellation offered its freed slot (a run still
		// waiting for takers, or done when nobody could take it).
		offered := got["slot_offers waiting"] + got["slot_offers completed"]
		delete(got, "slot_offers waiting")
		delete(got, "slot_offers completed")
		if offered != 4 {
			t.Errorf("%d slot_offers runs, want one per cancellation: 4", offered)
		}
		want := map[string]int{"enrollment completed": 4, "enrollment waiting": 2, "enrollment failed": 2,
			"enrollment_cancel completed": 1, "trial_confirmation completed": 8, "lesson_reminders completed": 3,
			"lesson_change completed": 4, "booking_confirmation completed": 1}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%d runs %s, want %d (all: %v)", got[k], k, n, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("runs %v, want only %v and slot_offers", got, want)
		}
		// The failure told the family; the welcome told family, teacher and admin.
		for key, n := range map[string]int{"enrollment:%:failed": 2, "enrollment:%:welcome:%": 4 * 3} {
			var sent int
			app.DB().Select("COUNT(*)").From("email_outbox").Where(dbx.NewExp("idempotency_key LIKE {:k}", dbx.Params{"k": key})).Row(&sent)
			if sent < n {
				t.Errorf("%d mails %q in the outbox, want at least %d", sent, key, n)
			}
		}
	})

	t.Run("payments through billing, a consistent ledger", func(t *testing.T) {
		payments, err := app.FindAllRecords("payments", dbx.Like("reference", "DEMO-").Match(false, true))
		if err != nil || len(payments) != 16 {
			t.Fatalf("%d demo payments, want 16 (%v)", len(payments), err)
		}
		families := map[string]bool{}
		refunded := 0
		for _, p := range payments {
			families[p.GetString("family")] = true
			entries, err := app.FindAllRecords("ledger_entries", dbx.HashExp{"payment": p.Id})
			if err != nil {
				t.Fatal(err)
			}
			byKind := map[string]int{}
			for _, e := range entries {
				byKind[e.GetString("kind")] += e.GetInt("amount")
			}
			amount := p.GetInt("amount")
			if byKind["charge"] != amount || byKind["payment"] != -amount {
				t.Errorf("payment %s (%d): ledger %v", p.GetString("reference"), amount, byKind)
			}
			if byKind["refund"] > 0 {
				refunded++
				if p.GetString("status") != "partially_refunded" || byKind["credit"] != -byKind["refund"] {
					t.Errorf("refunded payment %s: status %s, ledger %v", p.GetString("reference"), p.GetString("status"), byKind)
				}
			}
			if n, _ := app.CountRecords("billing_notices", dbx.HashExp{"payment": p.Id, "kind": "receipt"}); n != 1 {
				t.Errorf("payment %s has %d receipts", p.GetString("reference"), n)
			}
		}
		if refunded != 1 {
			t.Errorf("%d refunded payments, want 1", refunded)
		}
		// Paid what was charged: every family's balance is zero.
		for family := range families {
			balances, err := billing.Balances(app, family)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range balances {
				if b.Amount != 0 {
					t.Errorf("family %s owes %d %s", family, b.Amount, b.Currency)
				}
			}
		}
	})

	t.Run("make-up credits granted by the lesson model", func(t *testing.T) {
		credits, err := app.FindAllRecords("makeup_credits", dbx.NewExp("source_lesson IN (SELECT id FROM lessons WHERE start > {:now})",
			dbx.Params{"now": dbDateTime(time.Now())}))
		if err != nil {
			t.Fatal(err)
		}
		family := 0
		for _, c := range credits {
			lesson, err := app.FindRecordById("lessons", c.GetString("source_lesson"))
			if err != nil {
				t.Fatal(err)
			}
			if lesson.GetString("status") != "cancelled" {
				t.Errorf("credit for lesson %s, which is %s", lesson.Id, lesson.GetString("status"))
			}
			if lesson.GetString("cancelled_by") == "family" && strings.Contains(c.GetString("reason"), "ahead (policy:") {
				family++
			}
		}
		if len(credits) != 4 || family != 3 {
			t.Errorf("%d credits for upcoming lessons (%d cancelled by a family with notice), want 4 and 3\n%s", len(credits), family, log.String())
		}
		// The make-up lesson spent one of its student's credits (the one
		// expiring first, which may be an older one).
		makeups, err := app.FindAllRecords("lessons", dbx.HashExp{"kind": "makeup"})
		if err != nil || len(makeups) != 1 {
			t.Fatalf("%d make-up lessons, want 1 (%v)", len(makeups), err)
		}
		spent, err := app.FindFirstRecordByData("makeup_credits", "used_by", makeups[0].Id)
		if err != nil || spent.GetString("student") != makeups[0].GetString("student") {
			t.Errorf("the make-up lesson spent no credit of its student: %v %v", spent, err)
		}
	})

	// Second run, a day later: nothing new, nothing changed.
	log.Reset()
	_, second, err := loadDemo(app, demoSizes["demo"], anchor.Add(24*time.Hour), &log)
	if err != nil {
		t.Fatalf("second load: %v\n%s", err, log.String())
	}
	for c, n := range second.Created {
		if n != 0 {
			t.Errorf("second run created %d %s", n, c)
		}
	}
	if again := counts(t, app); !equalCounts(after, again) {
		t.Errorf("second run changed counts: %v → %v", after, again)
	}
	assertNoOverlaps(t, app)
}
