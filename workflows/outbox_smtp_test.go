package workflows_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"

	"cedarheights/internal/mailpit"
	"cedarheights/internal/testapp"
	"cedarheights/letters"
	"cedarheights/workflows"
)

// outbox_smtp_test.go: the outbox against a real SMTP server (mailpit).

// lessonMail is a letter with html and text parts and an .ics invite.
func lessonMail(t *testing.T, key string, to ...string) workflows.Mail {
	t.Helper()
	r, err := letters.Layout{Academy: "Cedar Heights Music Academy"}.Render(letters.Letter{
		Subject:    "Trial lesson booked: Tuesday 4 March",
		Greeting:   "Hello Ana,",
		Paragraphs: []string{"Your trial lesson with Xavier is booked."},
		Details:    []letters.Detail{{Label: "When", Value: "Tuesday 4 March, 16:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2031, 3, 4, 21, 0, 0, 0, time.UTC)
	invite, err := letters.Invite{
		Method: letters.Request, LessonID: "les123", Start: start, End: start.Add(30 * time.Minute),
		Summary: "Piano trial lesson", Organizer: letters.Person{Name: "Cedar Heights", Email: mailpit.Sender},
		Attendees: []letters.Person{{Name: "Ana", Email: to[0]}}, Created: start.Add(-time.Hour), Updated: start.Add(-time.Hour),
	}.ICS()
	if err != nil {
		t.Fatal(err)
	}
	return workflows.Mail{
		To: to, Subject: r.Subject, HTML: r.HTML, Text: r.Text, IdempotencyKey: key,
		Attachments: []workflows.Attachment{{Name: letters.InviteFileName, Content: invite}},
	}
}

// A queued message with both parts and an invite arrives whole.
func TestOutboxDeliversOverSMTP(t *testing.T) {
	pit := mailpit.Start(t, mailpit.Options{})
	app, _ := testapp.New(t)
	pit.Configure(app)
	eng := workflows.NewEngine(app, testOptions(workflows.NewRegistry()))
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)

	m := lessonMail(t, "trial:les123:family", "ana@cedarheights.test", "ben@cedarheights.test")
	id, err := workflows.EnqueueMail(app, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := workflows.EnqueueMail(app, m); err != nil { // the same event and recipients: not again
		t.Fatal(err)
	}
	list, err := pit.WaitForCount(1, 10*time.Second)
	if err != nil || len(list) != 1 {
		t.Fatalf("%d messages (%v)", len(list), err)
	}
	got, err := pit.Message(list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != m.Subject || got.From.Address != mailpit.Sender || len(got.To) != 2 ||
		got.To[0].Address != "ana@cedarheights.test" || got.To[1].Address != "ben@cedarheights.test" {
		t.Errorf("envelope: from %v to %v subject %q", got.From, got.To, got.Subject)
	}
	if !strings.Contains(got.Text, "Hello Ana,") || !strings.Contains(got.Text, "When:  Tuesday 4 March, 16:00") || strings.Contains(got.Text, "<p") {
		t.Errorf("text part:\n%s", got.Text)
	}
	if !strings.Contains(got.HTML, "<p style=") || !strings.Contains(got.HTML, "Your trial lesson with Xavier is booked.") {
		t.Errorf("html part:\n%s", got.HTML)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].FileName != letters.InviteFileName ||
		!strings.HasPrefix(got.Attachments[0].ContentType, "text/calendar") {
		t.Fatalf("attachments %+v", got.Attachments)
	}
	raw, err := pit.Part(got.ID, got.Attachments[0].PartID)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the .ics does not parse: %v\n%s", err, raw)
	}
	method := ""
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			method = p.Value
		}
	}
	if method != "REQUEST" || len(cal.Events()) != 1 || cal.Events()[0].Id() != "les123@cedarheights" {
		t.Errorf("invite: method %q events %d\n%s", method, len(cal.Events()), raw)
	}

	row, _ := app.FindRecordById("email_outbox", id)
	if row.GetString("status") != "sent" || row.GetInt("attempts") != 1 {
		t.Errorf("outbox row %v", row.PublicExport())
	}
	if again, _ := eng.SendPendingMail(t.Context()); again != 0 {
		t.Errorf("sent %d again", again)
	}
	if list, _ := pit.Messages(); len(list) != 1 {
		t.Errorf("%d messages after a second pass", len(list))
	}
}

// SMTP down: the message waits with its attempts and error, for as many
// attempts as it takes; SMTP back: it leaves, once.
func TestOutboxWaitsForSMTPAndDeliversOnce(t *testing.T) {
	pit := mailpit.Start(t, mailpit.Options{})
	app, _ := testapp.New(t)
	pit.Configure(app)
	eng := workflows.NewEngine(app, testOptions(workflows.NewRegistry())) // not started: passes run by hand
	send := func() int {
		t.Helper()
		n, err := eng.SendPendingMail(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	before, _ := workflows.EnqueueMail(app, lessonMail(t, "before", "ana@cedarheights.test"))
	if send() != 1 {
		t.Fatal("not sent while SMTP was up")
	}
	pit.Stop()

	id, _ := workflows.EnqueueMail(app, lessonMail(t, "during", "ben@cedarheights.test"))
	other, _ := workflows.EnqueueMail(app, lessonMail(t, "during-2", "cy@cedarheights.test"))
	if send() != 0 {
		t.Fatal("sent with SMTP down")
	}
	row, _ := app.FindRecordById("email_outbox", id)
	if row.GetString("status") != "pending" || row.GetInt("attempts") != 1 ||
		!strings.Contains(row.GetString("last_error"), "connection refused") || !row.GetDateTime("next_attempt").Time().After(time.Now()) {
		t.Fatalf("after SMTP went down: %v", row.PublicExport())
	}
	// The server being unreachable ends the pass: the next message was
	// not tried against it.
	if r, _ := app.FindRecordById("email_outbox", other); r.GetInt("attempts") != 0 {
		t.Errorf("second message tried %d times in the same pass", r.GetInt("attempts"))
	}

	// An hour and more of SMTP down: far more attempts than the old
	// outbox's eight; each time the message is due again.
	due := func() {
		app.NonconcurrentDB().Update("email_outbox", dbx.Params{"next_attempt": ""}, dbx.HashExp{"status": "pending"}).Execute()
	}
	for range 20 {
		due()
		send()
	}
	row, _ = app.FindRecordById("email_outbox", id)
	if row.GetString("status") != "pending" || row.GetInt("attempts") < 20 {
		t.Fatalf("after 20 passes with SMTP down: %v", row.PublicExport())
	}

	if err := pit.Start(); err != nil {
		t.Fatal(err)
	}
	due()
	if n := send(); n != 2 {
		t.Fatalf("%d sent once SMTP was back", n)
	}
	due()
	if n := send(); n != 0 {
		t.Fatalf("%d sent again", n)
	}
	list, err := pit.Messages()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range list {
		count[s.To[0].Address]++
	}
	if len(list) != 3 || count["ana@cedarheights.test"] != 1 || count["ben@cedarheights.test"] != 1 || count["cy@cedarheights.test"] != 1 {
		t.Errorf("mailpit holds %v", count)
	}
	for _, id := range []string{before, id, other} {
		if r, _ := app.FindRecordById("email_outbox", id); r.GetString("status") != "sent" || r.GetString("failed_reason") != "" {
			t.Errorf("row %v", r.PublicExport())
		}
	}
}

// A recipient the server refuses for good fails at once, with the reply
// kept; the others are delivered.
func TestOutboxFailsARefusedRecipientWithTheReason(t *testing.T) {
	pit := mailpit.Start(t, mailpit.Options{AllowedRecipients: `@cedarheights\.test$`})
	app, _ := testapp.New(t)
	pit.Configure(app)
	eng := workflows.NewEngine(app, testOptions(workflows.NewRegistry()))

	bad, _ := workflows.EnqueueMail(app, workflows.Mail{To: []string{"nobody@elsewhere.test"}, Subject: "s", Text: "t", IdempotencyKey: "bad"})
	good, _ := workflows.EnqueueMail(app, workflows.Mail{To: []string{"ana@cedarheights.test"}, Subject: "s", Text: "t", IdempotencyKey: "good"})
	if n, err := eng.SendPendingMail(t.Context()); n != 1 || err != nil {
		t.Fatalf("sent %d (%v)", n, err)
	}
	row, _ := app.FindRecordById("email_outbox", bad)
	if row.GetString("status") != "failed" || row.GetInt("attempts") != 1 || !strings.Contains(row.GetString("failed_reason"), "550 5.1.0") {
		t.Errorf("refused recipient: %v", row.PublicExport())
	}
	if row, _ := app.FindRecordById("email_outbox", good); row.GetString("status") != "sent" {
		t.Errorf("good recipient: %v", row.PublicExport())
	}
	// A row that cannot become a message (an address the admin UI let
	// through) fails with the reason instead of retrying for days.
	broken, _ := workflows.EnqueueMail(app, workflows.Mail{To: []string{"cy@cedarheights.test"}, Subject: "s", Text: "t", IdempotencyKey: "broken"})
	app.NonconcurrentDB().Update("email_outbox", dbx.Params{"to": "cy@@cedarheights"}, dbx.HashExp{"id": broken}).Execute()
	eng.SendPendingMail(t.Context())
	if row, _ := app.FindRecordById("email_outbox", broken); row.GetString("status") != "failed" || !strings.Contains(row.GetString("failed_reason"), "cannot send") {
		t.Errorf("unparsable address: %v", row.PublicExport())
	}
}

// The attachment rules are checked before anything is queued.
func TestMailAttachmentsAreValidated(t *testing.T) {
	app, _ := testapp.New(t)
	ok := workflows.Mail{To: []string{"a@cedarheights.test"}, Subject: "s", Text: "t", IdempotencyKey: "k"}
	with := func(a ...workflows.Attachment) workflows.Mail { m := ok; m.Attachments = a; return m }
	many := make([]workflows.Attachment, 11)
	for i := range many {
		many[i] = workflows.Attachment{Name: "f" + itoa(i), Content: []byte("x")}
	}
	cases := []struct {
		name string
		mail workflows.Mail
	}{
		{"no name", with(workflows.Attachment{Content: []byte("x")})},
		{"a path", with(workflows.Attachment{Name: "../x.ics", Content: []byte("x")})},
		{"a quote", with(workflows.Attachment{Name: `a".ics`, Content: []byte("x")})},
		{"a line break", with(workflows.Attachment{Name: "a\r\nBcc: x@y.test", Content: []byte("x")})},
		{"the same name twice", with(workflows.Attachment{Name: "a.ics", Content: []byte("x")}, workflows.Attachment{Name: "a.ics", Content: []byte("y")})},
		{"empty", with(workflows.Attachment{Name: "a.ics"})},
		{"too large", with(workflows.Attachment{Name: "a.ics", Content: make([]byte, 1<<20+1)})},
		{"too many", with(many...)},
	}
	for _, c := range cases {
		if _, err := workflows.EnqueueMail(app, c.mail); err == nil || !strings.Contains(err.Error(), "Attachments") {
			t.Errorf("%s: queued (%v)", c.name, err)
		}
	}
	id, err := workflows.EnqueueMail(app, with(workflows.Attachment{Name: "invite.ics", Content: []byte("BEGIN:VCALENDAR\r\n")}))
	if err != nil {
		t.Fatal(err)
	}
	row, _ := app.FindRecordById("email_outbox", id)
	if got := row.GetString("attachments"); !strings.Contains(got, `"name":"invite.ics"`) || !strings.Contains(got, `"content_base64":"QkVHSU46VkNBTEVOREFSDQo="`) {
		t.Errorf("stored attachments %s", got)
	}
}
