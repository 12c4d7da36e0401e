package cli

import (
	"bytes"
	"testing"
	"time"

	"cedarheights/doctor"
	"cedarheights/workflows"
)

// TestDemoLoadedToday loads the demo once, on today's term, for the two
// checks that need nothing else from it (a demo load is the costliest step
// of either): it mails no one, and doctor finds no violation in it.
func TestDemoLoadedToday(t *testing.T) {
	t.Parallel()
	app := bareApp(t, "America/Vancouver")
	var log bytes.Buffer
	_, result, err := loadDemo(app, demoSizes["demo"], time.Now(), &log)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, log.String())
	}

	// The demo's term is loaded as an existing schedule: its upcoming
	// lessons start no booking confirmation and queue no mail.
	t.Run("mails no one", func(t *testing.T) {
		upcoming, _ := app.CountRecords("lessons", nil)
		if result.Created["lessons"] == 0 || upcoming == 0 {
			t.Fatal("the demo loaded no lessons")
		}
		// The term's lessons are imported quietly: no booking confirmation for
		// any of them. (The demo's later phases run workflows on purpose:
		// enrollments, a few cancellations and a make-up, with their mail.)
		var told int
		err := app.DB().NewQuery(`SELECT COUNT(*) FROM workflow_runs r JOIN lessons l ON r.subject = 'lessons:' || l.id
		WHERE r.name = 'booking_confirmation' AND l.kind = 'regular'`).Row(&told)
		if err != nil {
			t.Fatal(err)
		}
		if told != 0 {
			t.Errorf("loading the demo confirmed %d imported term lessons", told)
		}
	})

	// The demo academy keeps every invariant: doctor finds no violation in it.
	workflows.EngineOf(app).Stop()
	t.Run("doctor finds no violation", func(t *testing.T) {
		rep, err := doctor.Check(app, doctor.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			t.Logf("%s %s %v %s", f.Severity, f.Code, f.IDs, f.Message)
		}
		if rep.Violations != 0 {
			t.Fatalf("%d violation(s) in the demo data", rep.Violations)
		}
		if rep.Counts["lessons"] < 1000 || rep.Counts["makeup_credits"] == 0 || rep.Counts["ledger_entries"] == 0 || rep.Counts["workflow_runs"] == 0 {
			t.Fatalf("counts %v: the demo should give every group something to check", rep.Counts)
		}
	})
}
