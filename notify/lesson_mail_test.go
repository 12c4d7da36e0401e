package notify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/mailpit"
	"cedarheights/internal/testapp"
	"cedarheights/letters"
	"cedarheights/notify"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// lesson_mail_test.go: every booking told, end to end: lesson writes over
// HTTP (the /api/v1 routes and the record API) on an app wired like
// production, the workflows their triggers start, the outbox, and a real
// SMTP server (mailpit) whose messages and .ics attachments are read back.

// mailed is one delivered message with its calendar attachment parsed.
type mailed struct {
	*mailpit.Message
	Cal     *ics.Calendar
	Method  string
	AttName string
}

type mailEnv struct {
	t   *testing.T
	app core.App
	f   *testapp.Fixtures
	pit *mailpit.Server
	srv *httptest.Server
}

// newMailEnv: a wired app sending to mailpit, its engine started, served
// over HTTP; the academy's zone is Vancouver, so local dates differ from UTC.
func newMailEnv(t *testing.T) *mailEnv {
	t.Helper()
	pit := mailpit.Start(t, mailpit.Options{})
	app, f := testapp.New(t, wiring.WithEngineOptions(workflows.Options{
		Workers: 2, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		ShutdownGrace: time.Second, MailInterval: 30 * time.Millisecond, NoSchedules: true,
	}))
	pit.Configure(app)
	settings, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		t.Fatal(err)
	}
	settings.Set("timezone", "America/Vancouver")
	if err := app.Save(settings); err != nil {
		t.Fatal(err)
	}
	eng := workflows.EngineOf(app)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return &mailEnv{t: t, app: app, f: f, pit: pit, srv: testapp.Serve(t, app)}
}

// call sends a JSON request as the account and decodes the answer.
func (m *mailEnv) call(method, path string, as testapp.Account, body string) (int, map[string]any) {
	m.t.Helper()
	req, _ := http.NewRequest(method, m.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", as.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	if res.StatusCode >= 300 {
		m.t.Logf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

// quiet waits until no run is unfinished and no mail is pending, then
// reads every delivered message and clears mailpit: what one event sent.
func (m *mailEnv) quiet() []mailed {
	m.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		busy, _ := m.app.CountRecords("workflow_runs", dbx.Not(dbx.In("status", "completed", "failed", "dead_letter", "cancelled")))
		pending, _ := m.app.CountRecords("email_outbox", dbx.HashExp{"status": "pending"})
		if busy == 0 && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%d runs unfinished, %d mails pending", busy, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	list, err := m.pit.Messages()
	if err != nil {
		m.t.Fatal(err)
	}
	var out []mailed
	for _, s := range list {
		msg, err := m.pit.Message(s.ID)
		if err != nil {
			m.t.Fatal(err)
		}
		got := mailed{Message: msg}
		for _, a := range msg.Attachments {
			raw, err := m.pit.Part(msg.ID, a.PartID)
			if err != nil {
				m.t.Fatal(err)
			}
			cal, err := ics.ParseCalendar(bytes.NewReader(raw))
			if err != nil {
				m.t.Fatalf("%s: %s does not parse: %v\n%s", msg.Subject, a.FileName, err, raw)
			}
			got.Cal, got.AttName = cal, a.FileName
			for _, p := range cal.CalendarProperties {
				if p.IANAToken == string(ics.PropertyMethod) {
					got.Method = p.Value
				}
			}
		}
		out = append(out, got)
	}
	if err := m.pit.DeleteAll(); err != nil {
		m.t.Fatal(err)
	}
	return out
}

// to finds the one message to addr, failing when there is not exactly one.
func to(t *testing.T, msgs []mailed, addr string) mailed {
	t.Helper()
	var found []mailed
	for _, m := range msgs {
		if slices.ContainsFunc(m.To, func(a mailpit.Address) bool { return a.Address == addr }) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		subjects := []string{}
		for _, m := range msgs {
			subjects = append(subjects, m.To[0].Address+": "+m.Subject)
		}
		t.Fatalf("%d messages to %s, want 1; all: %q", len(found), addr, subjects)
	}
	return found[0]
}

func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if v := e.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func sequence(t *testing.T, e *ics.VEvent) int {
	t.Helper()
	n, err := strconv.Atoi(prop(e, ics.ComponentPropertySequence))
	if err != nil {
		t.Fatalf("SEQUENCE %q", prop(e, ics.ComponentPropertySequence))
	}
	return n
}

// localMonday16 is 16:00 in Vancouver on the Monday a week or more ahead:
// inside teacher X's Monday availability (15:00–19:00 in the academy's zone).
func localMonday16(t *testing.T) time.Time {
	zone, err := time.LoadLocation("America/Vancouver")
	if err != nil {
		t.Fatal(err)
	}
	d := testapp.NextMonday()
	return time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, zone)
}

// bookSeries books four weekly lessons of student A1 with teacher X through
// /api/v1 as the admin and returns their ids by start.
func (m *mailEnv) bookSeries() (series string, ids []string, starts []time.Time) {
	m.t.Helper()
	first := localMonday16(m.t)
	code, body := m.call(http.MethodPost, "/api/v1/lessons", m.f.Admin, `{"teacher":"`+m.f.TeacherX+`","student":"`+m.f.StudentA1+
		`","instrument":"`+m.f.Piano+`","start":"`+first.Format("2006-01-02T15:04")+`","minutes":30,"recurrence":{"count":4}}`)
	if code != http.StatusCreated {
		m.t.Fatalf("book series: %d %v", code, body)
	}
	series, _ = body["series"].(string)
	lessons, _ := m.app.FindRecordsByFilter("lessons", "series = {:s}", "start", 0, 0, dbx.Params{"s": series})
	for _, l := range lessons {
		ids = append(ids, l.Id)
		starts = append(starts, l.GetDateTime("start").Time())
	}
	if len(ids) != 4 {
		m.t.Fatalf("the series has %d lessons, want 4", len(ids))
	}
	return series, ids, starts
}

// backdate makes the lessons look booked an hour ago, so a change made in
// the same second as the booking still raises SEQUENCE (it counts seconds
// from creation).
func (m *mailEnv) backdate(ids ...string) {
	m.t.Helper()
	hourAgo := time.Now().Add(-time.Hour).UTC().Format("2006-01-02 15:04:05.000Z")
	for _, id := range ids {
		if _, err := m.app.NonconcurrentDB().Update("lessons", dbx.Params{"created": hourAgo, "updated": hourAgo}, dbx.HashExp{"id": id}).Execute(); err != nil {
			m.t.Fatal(err)
		}
	}
}

// earlierCreated moves the lesson's creation an hour back, leaving its last
// change: the next write's SEQUENCE then exceeds the last one's by an hour
// of seconds, as if that write happened an hour ago.
func (m *mailEnv) earlierCreated(id string) {
	m.t.Helper()
	l := testapp.Record(m.t, m.app, "lessons", id)
	earlier := l.GetDateTime("created").Time().Add(-time.Hour).UTC().Format("2006-01-02 15:04:05.000Z")
	if _, err := m.app.NonconcurrentDB().Update("lessons", dbx.Params{"created": earlier}, dbx.HashExp{"id": id}).Execute(); err != nil {
		m.t.Fatal(err)
	}
}

// settleMu is held by a test that sets notify.SeriesSettle until it ends:
// the tests that set it run side by side, and one that put the default
// (30 s) back while another was booking left that one's confirmation
// unsent past quiet's deadline.
var settleMu sync.Mutex

// settleSeries sets notify.SeriesSettle to d for the rest of t.
func settleSeries(t *testing.T, d time.Duration) {
	settleMu.Lock()
	was := notify.SeriesSettle
	notify.SeriesSettle = d
	t.Cleanup(func() {
		notify.SeriesSettle = was
		settleMu.Unlock()
	})
}

func TestSeriesIsConfirmedOncePerRecipientWithEveryDate(t *testing.T) {
	t.Parallel()
	settleSeries(t, 0)
	m := newMailEnv(t)
	series, ids, starts := m.bookSeries()
	msgs := m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages for a series of 4, want 2 (family, teacher)", len(msgs))
	}
	runs, _ := m.app.CountRecords("workflow_runs", dbx.HashExp{"name": "booking_confirmation"})
	if runs != 1 {
		t.Errorf("%d confirmation runs for one series, want 1", runs)
	}
	zone, _ := time.LoadLocation("America/Vancouver")
	for _, addr := range []string{m.f.ParentA.Email, m.f.TeacherXUser.Email} {
		got := to(t, msgs, addr)
		if !strings.Contains(got.Subject, "4 lessons from "+starts[0].In(zone).Format("Monday 2 January")) {
			t.Errorf("subject %q", got.Subject)
		}
		for _, s := range starts {
			// Each date as the academy's clock shows it: 16:00 in Vancouver,
			// not the UTC instant (00:00 the next day, or 23:00).
			want := s.In(zone).Format("Monday 2 January 2006, 15:04")
			if !strings.Contains(got.Text, want) || !strings.Contains(got.HTML, want) || !strings.Contains(want, "16:00") {
				t.Errorf("%s: date %q missing from the mail:\n%s", addr, want, got.Text)
			}
		}
		if !strings.Contains(got.HTML, "<p style=") || !strings.Contains(got.Text, "Cedar Heights") {
			t.Errorf("%s: not on the academy's layout:\n%s", addr, got.Text)
		}
		if got.Method != "PUBLISH" || got.AttName != letters.SeriesFileName || len(got.Cal.Events()) != 4 {
			t.Fatalf("%s: attachment %q method %q with %d events", addr, got.AttName, got.Method, len(got.Cal.Events()))
		}
		for i, e := range got.Cal.Events() {
			if e.Id() != letters.LessonUID(ids[i]) || prop(e, ics.ComponentPropertyDtStart) != starts[i].UTC().Format("20060102T150405Z") {
				t.Errorf("event %d: UID %s DTSTART %s, want lesson %s at %s", i, e.Id(), prop(e, ics.ComponentPropertyDtStart), ids[i], starts[i])
			}
		}
	}
	key, _ := m.app.FindFirstRecordByData("email_outbox", "idempotency_key", "series-confirmation:"+series+":family")
	if key == nil {
		t.Error("no outbox row keyed by the series and the family")
	}
}

// A series whose lessons a client creates one request at a time is still
// confirmed once, with every lesson, within the settle time.
func TestSeriesCreatedLessonByLessonIsConfirmedOnce(t *testing.T) {
	t.Parallel()
	settleSeries(t, 2*time.Second)
	m := newMailEnv(t)
	first := localMonday16(t)
	for week := range 3 {
		start := first.AddDate(0, 0, 7*week)
		body := `{"teacher":"` + m.f.TeacherX + `","student":"` + m.f.StudentA1 + `","instrument":"` + m.f.Piano + `","start":"` +
			start.UTC().Format("2006-01-02 15:04:05.000Z") + `","end":"` + start.Add(30*time.Minute).UTC().Format("2006-01-02 15:04:05.000Z") +
			`","kind":"regular","status":"scheduled","series":"weeklyamy"}`
		if code, _ := m.call(http.MethodPost, "/api/collections/lessons/records", m.f.Admin, body); code != http.StatusOK {
			t.Fatalf("lesson %d: %d", week, code)
		}
	}
	msgs := m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if got := to(t, msgs, m.f.ParentA.Email); len(got.Cal.Events()) != 3 || !strings.Contains(got.Subject, "3 lessons") {
		t.Errorf("the confirmation holds %d lessons (%q), want 3", len(got.Cal.Events()), got.Subject)
	}
}

func TestMoveCancelAndMakeupAreToldWithTheirInvites(t *testing.T) {
	t.Parallel()
	settleSeries(t, 0)
	m := newMailEnv(t)
	_, ids, starts := m.bookSeries()
	confirmed := m.quiet()
	firstSeq := map[string]int{}
	for _, e := range to(t, confirmed, m.f.ParentA.Email).Cal.Events() {
		firstSeq[e.Id()] = sequence(t, e)
	}
	m.backdate(ids...)
	zone, _ := time.LoadLocation("America/Vancouver")

	// Moved by the admin (/api/v1): REQUEST, same UID, higher SEQUENCE.
	moved := starts[1].Add(time.Hour)
	if code, _ := m.call(http.MethodPatch, "/api/v1/lessons/"+ids[1], m.f.Admin, `{"start":"`+moved.In(zone).Format("2006-01-02T15:04")+`"}`); code != http.StatusOK {
		t.Fatal("move refused")
	}
	msgs := m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages for a move, want 2", len(msgs))
	}
	for _, addr := range []string{m.f.ParentA.Email, m.f.TeacherXUser.Email} {
		got := to(t, msgs, addr)
		if !strings.HasPrefix(got.Subject, "Lesson moved:") || !strings.Contains(got.Text, moved.In(zone).Format("Monday 2 January 2006, 15:04")) ||
			!strings.Contains(got.Text, starts[1].In(zone).Format("Monday 2 January 2006, 15:04")) {
			t.Errorf("%s: %q\n%s", addr, got.Subject, got.Text)
		}
		if got.Method != "REQUEST" || len(got.Cal.Events()) != 1 {
			t.Fatalf("%s: method %q, %d events", addr, got.Method, len(got.Cal.Events()))
		}
		e := got.Cal.Events()[0]
		if e.Id() != letters.LessonUID(ids[1]) || sequence(t, e) <= firstSeq[e.Id()] ||
			prop(e, ics.ComponentPropertyDtStart) != moved.UTC().Format("20060102T150405Z") {
			t.Errorf("%s: UID %s SEQUENCE %d (was %d) DTSTART %s", addr, e.Id(), sequence(t, e), firstSeq[e.Id()], prop(e, ics.ComponentPropertyDtStart))
		}
	}

	// Cancelled by the family with notice (record API): CANCEL and a credit.
	code, _ := m.call(http.MethodPatch, "/api/collections/lessons/records/"+ids[2], m.f.ParentA, `{"status":"cancelled","cancelled_by":"family"}`)
	if code != http.StatusOK {
		t.Fatal("family cancel refused")
	}
	msgs = m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages for a cancellation, want 2", len(msgs))
	}
	family := to(t, msgs, m.f.ParentA.Email)
	to(t, msgs, m.f.TeacherXUser.Email)
	if !strings.HasPrefix(family.Subject, "Lesson cancelled:") ||
		!strings.Contains(family.Text, "A make-up credit was given because the lesson was cancelled") ||
		!strings.Contains(family.Text, "(policy: 24h)") || !strings.Contains(family.Text, "until") {
		t.Errorf("cancellation: %q\n%s", family.Subject, family.Text)
	}
	if family.Method != "CANCEL" || len(family.Cal.Events()) != 1 || family.Cal.Events()[0].Id() != letters.LessonUID(ids[2]) ||
		prop(family.Cal.Events()[0], ics.ComponentPropertyStatus) != "CANCELLED" {
		t.Errorf("cancellation invite: method %q\n%s", family.Method, family.Cal.Serialize())
	}

	// Make-up booked by the family with that credit (record API).
	makeup := starts[2].Add(time.Hour) // the freed Monday, an hour later
	body := `{"teacher":"` + m.f.TeacherX + `","student":"` + m.f.StudentA1 + `","instrument":"` + m.f.Piano + `","start":"` +
		makeup.UTC().Format("2006-01-02 15:04:05.000Z") + `","end":"` + makeup.Add(30*time.Minute).UTC().Format("2006-01-02 15:04:05.000Z") +
		`","kind":"makeup","status":"scheduled"}`
	if code, _ := m.call(http.MethodPost, "/api/collections/lessons/records", m.f.ParentA, body); code != http.StatusOK {
		t.Fatal("make-up refused")
	}
	msgs = m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages for a make-up, want 2", len(msgs))
	}
	for _, addr := range []string{m.f.ParentA.Email, m.f.TeacherXUser.Email} {
		got := to(t, msgs, addr)
		if !strings.HasPrefix(got.Subject, "Make-up lesson booked:") || got.Method != "REQUEST" ||
			prop(got.Cal.Events()[0], ics.ComponentPropertyDtStart) != makeup.UTC().Format("20060102T150405Z") {
			t.Errorf("%s: %q method %q", addr, got.Subject, got.Method)
		}
	}

	// A late cancellation (the notice raised to 30 days): no credit, and why.
	settings, _ := m.app.FindFirstRecordByFilter("academy", "")
	settings.Set("cancellation_notice_hours", 720)
	if err := m.app.Save(settings); err != nil {
		t.Fatal(err)
	}
	if code, _ := m.call(http.MethodPatch, "/api/collections/lessons/records/"+ids[3], m.f.ParentA, `{"status":"cancelled","cancelled_by":"family"}`); code != http.StatusOK {
		t.Fatal("late cancel refused")
	}
	msgs = m.quiet()
	late := to(t, msgs, m.f.ParentA.Email)
	if len(msgs) != 2 || !strings.Contains(late.Text, "No make-up credit was given because this was a late cancellation") ||
		!strings.Contains(late.Text, "policy needs 720h") || late.Method != "CANCEL" {
		t.Errorf("%d messages; late cancellation: %q\n%s", len(msgs), late.Subject, late.Text)
	}

	// Reinstated by the admin (record API): REQUEST again, SEQUENCE above the CANCEL's.
	cancelSeq := sequence(t, late.Cal.Events()[0])
	m.earlierCreated(ids[3]) // as if the cancellation was an hour ago
	if code, _ := m.call(http.MethodPatch, "/api/collections/lessons/records/"+ids[3], m.f.Admin, `{"status":"scheduled"}`); code != http.StatusOK {
		t.Fatal("reinstatement refused")
	}
	msgs = m.quiet()
	back := to(t, msgs, m.f.TeacherXUser.Email)
	if len(msgs) != 2 || !strings.HasPrefix(back.Subject, "Lesson back on:") || back.Method != "REQUEST" ||
		back.Cal.Events()[0].Id() != letters.LessonUID(ids[3]) || sequence(t, back.Cal.Events()[0]) <= cancelSeq {
		t.Errorf("%d messages; reinstatement: %q method %q SEQUENCE %d (cancel: %d)", len(msgs), back.Subject, back.Method, sequence(t, back.Cal.Events()[0]), cancelSeq)
	}

	// The workflows retried (every mail node run again): nothing new leaves.
	changes, err := m.app.FindRecordsByFilter("workflow_runs", "name = 'lesson_change' || name = 'booking_confirmation'", "", 0, 0)
	if err != nil || len(changes) != 6 {
		t.Fatalf("%d runs (%v), want 6: the series, the move, two cancellations, the make-up, the reinstatement", len(changes), err)
	}
	for _, r := range changes {
		from := "mail"
		if r.GetString("name") == "booking_confirmation" {
			from = "mail_family"
		}
		if _, err := workflows.Retry(m.app, r.Id, from); err != nil {
			t.Fatalf("retry %s: %v", r.GetString("name"), err)
		}
	}
	if again := m.quiet(); len(again) != 0 {
		t.Errorf("%d messages sent again when the workflows retried", len(again))
	}
}

func TestRemindersSkipWhoTurnedThemOff(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t)
	// A parent turns reminders off on itself (record API, its own users
	// record); the role stays out of its reach.
	if code, _ := m.call(http.MethodPatch, "/api/collections/users/records/"+m.f.ParentA.ID, m.f.ParentA, `{"reminders_off":true}`); code != http.StatusOK {
		t.Fatal("a parent could not turn its reminders off")
	}
	if code, _ := m.call(http.MethodPatch, "/api/collections/users/records/"+m.f.ParentA.ID, m.f.ParentA, `{"role":"admin"}`); code == http.StatusOK {
		t.Fatal("a parent changed its role")
	}
	m.quiet() // nothing of the above mails

	lessonA := testapp.Record(t, m.app, "lessons", m.f.LessonA1).GetDateTime("start").Time()
	lessonB := testapp.Record(t, m.app, "lessons", m.f.LessonB1).GetDateTime("start").Time()
	run, err := workflows.Start(m.app, notify.LessonReminders, notify.ReminderInput{From: lessonA.Add(-time.Hour), To: lessonB.Add(time.Hour)}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, m.app, run.ID, 10*time.Second, workflows.StatusCompleted)
	msgs := m.quiet()
	// Family A opted out: its teacher is reminded, it is not; family B is.
	if len(msgs) != 3 {
		t.Fatalf("%d reminders, want 3 (teacher X, family B, teacher Y)", len(msgs))
	}
	for _, addr := range []string{m.f.TeacherXUser.Email, m.f.ParentB.Email, m.f.TeacherYUser.Email} {
		got := to(t, msgs, addr)
		if !strings.HasPrefix(got.Subject, "Reminder:") || got.Method != "REQUEST" || !strings.Contains(got.HTML, "<p style=") {
			t.Errorf("%s: %q method %q", addr, got.Subject, got.Method)
		}
	}
	for _, msg := range msgs {
		if msg.To[0].Address == m.f.ParentA.Email {
			t.Errorf("family A, which turned reminders off, got %q", msg.Subject)
		}
	}
}

func TestTrialConfirmationIsOnTheLayoutWithItsInvite(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t)
	start := localMonday16(t).Add(2 * time.Hour)
	body := `{"teacher":"` + m.f.TeacherX + `","student":"` + m.f.StudentA1 + `","instrument":"` + m.f.Piano + `","start":"` +
		start.Format("2006-01-02T15:04") + `","minutes":30,"kind":"trial"}`
	if code, _ := m.call(http.MethodPost, "/api/v1/lessons", m.f.Admin, body); code != http.StatusCreated {
		t.Fatal("trial refused")
	}
	msgs := m.quiet()
	if len(msgs) != 2 {
		t.Fatalf("%d messages for a trial, want 2", len(msgs))
	}
	for _, addr := range []string{m.f.ParentA.Email, m.f.TeacherXUser.Email} {
		got := to(t, msgs, addr)
		if got.Method != "REQUEST" || got.AttName != letters.InviteFileName || !strings.Contains(got.HTML, "<p style=") ||
			!strings.Contains(got.Text, "18:00") || prop(got.Cal.Events()[0], ics.ComponentPropertyDtStart) != start.UTC().Format("20060102T150405Z") {
			t.Errorf("%s: %q method %q\n%s", addr, got.Subject, got.Method, got.Text)
		}
	}
}

// A lesson given to another teacher: the family and the new teacher get
// the move (REQUEST), the former teacher a CANCEL for its calendar.
func TestReassignedLessonLeavesTheFormerTeachersCalendar(t *testing.T) {
	t.Parallel()
	m := newMailEnv(t)
	m.backdate(m.f.LessonA1)
	wednesday := localMonday16(t).AddDate(0, 0, 2).Add(-5 * time.Hour) // 11:00, in teacher Y's hours
	body := `{"teacher":"` + m.f.TeacherY + `","start":"` + wednesday.Format("2006-01-02T15:04") + `"}`
	if code, _ := m.call(http.MethodPatch, "/api/v1/lessons/"+m.f.LessonA1, m.f.Admin, body); code != http.StatusOK {
		t.Fatal("reassignment refused")
	}
	msgs := m.quiet()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3 (family, new teacher, former teacher)", len(msgs))
	}
	for _, addr := range []string{m.f.ParentA.Email, m.f.TeacherYUser.Email} {
		if got := to(t, msgs, addr); got.Method != "REQUEST" || !strings.HasPrefix(got.Subject, "Lesson moved:") || !strings.Contains(got.Text, "Yara Young") {
			t.Errorf("%s: %q method %q", addr, got.Subject, got.Method)
		}
	}
	former := to(t, msgs, m.f.TeacherXUser.Email)
	if former.Method != "CANCEL" || !strings.HasPrefix(former.Subject, "Lesson reassigned:") ||
		former.Cal.Events()[0].Id() != letters.LessonUID(m.f.LessonA1) {
		t.Errorf("former teacher: %q method %q", former.Subject, former.Method)
	}
}
