package cli

import (
	"bytes"
	"testing"
	"time"
)

// The demo's term is loaded as an existing schedule: its upcoming lessons
// start no booking confirmation and queue no mail.
func TestLoadDemoMailsNoOne(t *testing.T) {
	t.Parallel()
	app := bareApp(t, "America/Vancouver")
	_, result, err := loadDemo(app, demoSizes["demo"], time.Now(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	upcoming, _ := app.CountRecords("lessons", nil)
	if result.Created["lessons"] == 0 || upcoming == 0 {
		t.Fatal("the demo loaded no lessons")
	}
	runs, _ := app.CountRecords("workflow_runs")
	mail, _ := app.CountRecords("email_outbox")
	if runs != 0 || mail != 0 {
		t.Errorf("loading the demo started %d runs and queued %d mails", runs, mail)
	}
}
