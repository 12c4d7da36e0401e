package cli

import (
	"bytes"
	"testing"
	"time"
)

// The demo's term is loaded as an existing schedule: its upcoming lessons
// start no booking confirmation and queue no mail.
func TestLoadDemoMailsNoOne(t *testing.T) {
	app := bareApp(t, "America/Vancouver")
	_, result, err := loadDemo(app, demoSizes["demo"], time.Now(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	upcoming, _ := app.CountRecords("lessons", nil)
	if result.Created["lessons"] == 0 || upcoming == 0 {
		t.Fatal("the demo loaded no lessons")
	}
	// The term's lessons are imported quietly: no booking confirmation for
	// any of them. (The demo's later phases run workflows on purpose:
	// enrollments, a few cancellations and a make-up, with their mail.)
	var told int
	err = app.DB().NewQuery(`SELECT COUNT(*) FROM workflow_runs r JOIN lessons l ON r.subject = 'lessons:' || l.id
		WHERE r.name = 'booking_confirmation' AND l.kind = 'regular'`).Row(&told)
	if err != nil {
		t.Fatal(err)
	}
	if told != 0 {
		t.Errorf("loading the demo confirmed %d imported term lessons", told)
	}
}
