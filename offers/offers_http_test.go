package offers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/mailpit"
	"cedarheights/internal/testapp"
	"cedarheights/offers"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// offers_http_test.go: freed slots offered, end to end over HTTP: the
// real wiring (guard, engine, outbox), mail through a real SMTP server.

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

type env struct {
	app core.App
	f   *testapp.Fixtures
	srv *httptest.Server
	pit *mailpit.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pit := mailpit.Start(t, mailpit.Options{})
	app, f := testapp.New(t, wiring.WithEngineOptions(workflows.Options{
		Workers: 4, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		ShutdownGrace: time.Second, MailInterval: 50 * time.Millisecond, NoSchedules: true,
	}))
	pit.Configure(app)
	srv := testapp.Serve(t, app)
	app.Settings().Meta.AppURL = srv.URL // the links in the mails point here
	eng := workflows.EngineOf(app)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return &env{app: app, f: f, srv: srv, pit: pit}
}

// do sends a request; token "" is anonymous.
func (e *env) do(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// pianoStudent is an active piano student of parent.
func (e *env) pianoStudent(t *testing.T, parent, name string, wantsOtherTime bool) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId("students")
	s := core.NewRecord(col)
	s.Load(map[string]any{"parent": parent, "first_name": name, "last_name": "Test", "instruments": []string{e.f.Piano},
		"status": "active", "wants_other_time": wantsOtherTime})
	if err := e.app.Save(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// lesson saves a lesson of teacher X for student (status "cancelled"
// makes one cancelled by the academy, which grants a make-up credit).
func (e *env) lesson(t *testing.T, student string, start time.Time, status string) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId("lessons")
	l := core.NewRecord(col)
	l.Load(map[string]any{"teacher": e.f.TeacherX, "student": student, "instrument": e.f.Piano, "start": start,
		"end": start.Add(30 * time.Minute), "kind": "regular", "status": status})
	if status == "cancelled" {
		l.Set("cancelled_by", "academy")
	}
	if err := e.app.Save(l); err != nil {
		t.Fatal(err)
	}
	return l
}

// credit gives student an open make-up credit (from a lesson two weeks
// ahead, cancelled by the academy).
func (e *env) credit(t *testing.T, student string, at time.Duration) *core.Record {
	t.Helper()
	source := e.lesson(t, student, testapp.NextMonday().AddDate(0, 0, 14).Add(at), "cancelled")
	c, err := e.app.FindFirstRecordByData("makeup_credits", "source_lesson", source.Id)
	if err != nil {
		t.Fatalf("no credit granted: %v", err)
	}
	return c
}

// cancel cancels a lesson as the admin, through the API.
func (e *env) cancel(t *testing.T, lesson string) {
	t.Helper()
	if code, body := e.do(t, "POST", "/api/v1/lessons/"+lesson+"/cancel", e.f.Admin.Token, map[string]any{}); code != 200 {
		t.Fatalf("cancel: %d %v", code, body)
	}
}

func (e *env) offersOf(t *testing.T, lesson string) []*core.Record {
	t.Helper()
	list, err := e.app.FindAllRecords("slot_offers", dbx.HashExp{"lesson": lesson})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// mailTo waits for a message to addr whose subject has prefix.
func (e *env) mailTo(t *testing.T, addr, prefix string) *mailpit.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		list, err := e.pit.Messages()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if len(m.To) == 1 && m.To[0].Address == addr && strings.HasPrefix(m.Subject, prefix) {
				full, err := e.pit.Message(m.ID)
				if err != nil {
					t.Fatal(err)
				}
				return full
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	list, _ := e.pit.Messages()
	var got []string
	for _, m := range list {
		got = append(got, m.To[0].Address+": "+m.Subject)
	}
	t.Fatalf("no mail to %s starting %q; mailbox: %q", addr, prefix, got)
	return nil
}

// runOf is the offers run of lesson, waited for until it has a status.
func (e *env) runOf(t *testing.T, lesson string, statuses ...workflows.Status) *workflows.Run {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last *workflows.Run
	for time.Now().Before(deadline) {
		rec, err := e.app.FindFirstRecordByFilter("workflow_runs", "name = 'slot_offers' && subject = {:s}", dbx.Params{"s": "lessons:" + lesson})
		if err == nil {
			last, err = workflows.Get(e.app, rec.Id)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range statuses {
				if last.Status == s {
					return last
				}
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("offers run of %s: %+v, want one of %v", lesson, last, statuses)
	return nil
}

var offerLink = regexp.MustCompile(`/api/v1/offers/([A-Za-z0-9]{32,64})`)

// linkIn is the offer token the message links to (text and html agree).
func linkIn(t *testing.T, m *mailpit.Message) string {
	t.Helper()
	text, html := offerLink.FindStringSubmatch(m.Text), offerLink.FindStringSubmatch(m.HTML)
	if text == nil || html == nil || text[1] != html[1] {
		t.Fatalf("offer mail without one link:\n%s", m.Text)
	}
	return text[1]
}

// The acceptance race: the slot goes to credit holders by mail; two
// families accept at once; one lesson is booked and one credit spent; the
// other family gets 409 and a "gone" mail; the winner a confirmation.
func TestFreedSlotGoesToOneOfTwoCreditHolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.f
	abe := e.pianoStudent(t, f.ParentA.ID, "Abe", false)
	bea := e.pianoStudent(t, f.ParentB.ID, "Bea", false)
	creditAbe, creditBea := e.credit(t, abe.Id, 15*time.Hour), e.credit(t, bea.Id, 17*time.Hour)
	slot := testapp.Record(t, e.app, "lessons", f.LessonA1)

	e.cancel(t, f.LessonA1)
	e.runOf(t, f.LessonA1, workflows.StatusWaiting)
	mailA := e.mailTo(t, f.ParentA.Email, "A piano slot is free")
	mailB := e.mailTo(t, f.ParentB.Email, "A piano slot is free")
	tokens := map[string]string{f.ParentA.ID: linkIn(t, mailA), f.ParentB.ID: linkIn(t, mailB)}
	if !strings.Contains(mailA.Text, e.srv.URL+"/api/v1/offers/"+tokens[f.ParentA.ID]) || !strings.Contains(mailA.Text, "Abe") {
		t.Errorf("offer mail to A:\n%s", mailA.Text)
	}
	offered := e.offersOf(t, f.LessonA1)
	if len(offered) != 2 {
		t.Fatalf("%d offers, want one per credit-holding family", len(offered))
	}
	for _, o := range offered {
		if o.GetString("status") != "open" || o.GetString("kind") != "makeup" || o.GetString("token") != tokens[o.GetString("family")] ||
			!o.GetDateTime("start").Equal(slot.GetDateTime("start")) || !o.GetDateTime("expires_at").Time().Before(slot.GetDateTime("start").Time()) {
			t.Errorf("offer %v", o)
		}
	}

	// The link shows the offer to anyone holding it.
	if code, body := e.do(t, "GET", "/api/v1/offers/"+tokens[f.ParentB.ID], "", nil); code != 200 || body["status"] != "open" || body["student"] != "Bea" {
		t.Errorf("GET offer: %d %v", code, body)
	}

	codes := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for family, token := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, body := e.do(t, "POST", "/api/v1/offers/"+token+"/accept", "", nil)
			mu.Lock()
			codes[family] = code
			mu.Unlock()
			if code == 409 && !strings.Contains(body["message"].(string), "gone") {
				t.Errorf("loser's answer: %v", body)
			}
		}()
	}
	close(start)
	wg.Wait()
	var winner, loser string
	for family, code := range codes {
		switch code {
		case 200:
			winner = family
		case 409:
			loser = family
		}
	}
	if winner == "" || loser == "" {
		t.Fatalf("answers %v, want one 200 and one 409", codes)
	}

	booked, err := e.app.FindAllRecords("lessons", dbx.HashExp{"teacher": f.TeacherX, "start": slot.GetString("start"), "status": "scheduled"})
	if err != nil || len(booked) != 1 || booked[0].GetString("kind") != "makeup" {
		t.Fatalf("lessons in the slot: %v %v", booked, err)
	}
	winnerStudent, winnerCredit, loserCredit := abe, creditAbe, creditBea
	if winner == f.ParentB.ID {
		winnerStudent, winnerCredit, loserCredit = bea, creditBea, creditAbe
	}
	if booked[0].GetString("student") != winnerStudent.Id {
		t.Errorf("booked for %s, want the winner's student", booked[0].GetString("student"))
	}
	if used := testapp.Record(t, e.app, "makeup_credits", winnerCredit.Id).GetString("used_by"); used != booked[0].Id {
		t.Errorf("winner's credit used by %q, want the booked lesson", used)
	}
	if used := testapp.Record(t, e.app, "makeup_credits", loserCredit.Id).GetString("used_by"); used != "" {
		t.Errorf("the loser's credit was spent on %s", used)
	}

	run := e.runOf(t, f.LessonA1, workflows.StatusCompleted)
	var res offers.Result
	json.Unmarshal(run.Result, &res)
	if res.Outcome != "taken" || res.Offered != 2 {
		t.Errorf("run result %s", run.Result)
	}
	emails := map[string]string{f.ParentA.ID: f.ParentA.Email, f.ParentB.ID: f.ParentB.Email}
	names := map[string]string{f.ParentA.ID: "Abe", f.ParentB.ID: "Bea"}
	confirm := e.mailTo(t, emails[winner], "Make-up lesson booked: "+names[winner]) // the booking's own mail (notify)
	if len(confirm.Attachments) != 1 {
		t.Errorf("confirmation: %d attachments\n%s", len(confirm.Attachments), confirm.Text)
	}
	gone := e.mailTo(t, emails[loser], "The piano slot of ")
	if !strings.Contains(gone.Text, "booked this slot first") {
		t.Errorf("gone mail:\n%s", gone.Text)
	}
	for _, o := range e.offersOf(t, f.LessonA1) {
		want := map[string]string{winner: "taken", loser: "gone"}[o.GetString("family")]
		if o.GetString("status") != want {
			t.Errorf("offer of %s is %s, want %s", o.GetString("family"), o.GetString("status"), want)
		}
	}

	// Again: the winner's second click books nothing new; the loser stays refused.
	if code, body := e.do(t, "POST", "/api/v1/offers/"+tokens[winner]+"/accept", "", nil); code != 200 || body["again"] != true {
		t.Errorf("winner again: %d %v", code, body)
	}
	if code, _ := e.do(t, "POST", "/api/v1/offers/"+tokens[loser]+"/accept", "", nil); code != 409 {
		t.Errorf("loser again: %d", code)
	}
	if n, _ := e.app.CountRecords("lessons", dbx.HashExp{"teacher": f.TeacherX, "start": slot.GetString("start"), "status": "scheduled"}); n != 1 {
		t.Errorf("%d lessons in the slot after the second clicks", n)
	}
}

// Offers close before the slot: the run marks them expired, and an
// acceptance after that is refused with 410.
func TestOffersExpireBeforeTheSlot(t *testing.T) {
	defer offers.SetTiming(offers.Timing{Lead: 2 * time.Hour, Window: 1500 * time.Millisecond, MinOpen: time.Second, FirstRound: 500 * time.Millisecond})()
	e := newEnv(t)
	abe := e.pianoStudent(t, e.f.ParentA.ID, "Abe", false)
	e.credit(t, abe.Id, 15*time.Hour)

	e.cancel(t, e.f.LessonA1)
	token := linkIn(t, e.mailTo(t, e.f.ParentA.Email, "A piano slot is free"))
	run := e.runOf(t, e.f.LessonA1, workflows.StatusCompleted)
	var res offers.Result
	json.Unmarshal(run.Result, &res)
	if res.Outcome != "expired" || res.Offered != 1 {
		t.Errorf("run result %s", run.Result)
	}
	list := e.offersOf(t, e.f.LessonA1)
	if len(list) != 1 || list[0].GetString("status") != "expired" {
		t.Fatalf("offers after the close: %v", list)
	}
	code, body := e.do(t, "POST", "/api/v1/offers/"+token+"/accept", "", nil)
	if code != 410 {
		t.Errorf("accept after expiry: %d %v", code, body)
	}
	if n, _ := e.app.CountRecords("lessons", dbx.HashExp{"kind": "makeup"}); n != 0 {
		t.Errorf("%d make-up lessons booked after the offer expired", n)
	}
	if code, body := e.do(t, "GET", "/api/v1/offers/"+token, "", nil); code != 200 || body["status"] != "expired" {
		t.Errorf("GET expired offer: %d %v", code, body)
	}
}

// An acceptance after the close is refused even before the run has marked
// the offer expired (here: no engine running to do it).
func TestAcceptanceAfterTheCloseIsRefusedBeforeTheRunMarksIt(t *testing.T) {
	defer offers.SetTiming(offers.Timing{Lead: 2 * time.Hour, Window: 3 * time.Second, MinOpen: time.Second, FirstRound: time.Second})()
	e := newEnv(t)
	abe := e.pianoStudent(t, e.f.ParentA.ID, "Abe", false)
	credit := e.credit(t, abe.Id, 15*time.Hour)
	e.cancel(t, e.f.LessonA1)
	e.runOf(t, e.f.LessonA1, workflows.StatusWaiting)
	workflows.EngineOf(e.app).Stop()
	list := e.offersOf(t, e.f.LessonA1)
	if len(list) != 1 {
		t.Fatalf("%d offers", len(list))
	}
	offer, token := list[0], list[0].GetString("token")
	time.Sleep(time.Until(offer.GetDateTime("expires_at").Time()) + 50*time.Millisecond)

	if code, body := e.do(t, "POST", "/api/v1/offers/"+token+"/accept", "", nil); code != 410 {
		t.Errorf("accept after the close: %d %v", code, body)
	}
	if got := testapp.Record(t, e.app, "slot_offers", offer.Id).GetString("status"); got != "open" {
		t.Fatalf("the offer is %s; this test is about an offer not yet marked", got)
	}
	if used := testapp.Record(t, e.app, "makeup_credits", credit.Id).GetString("used_by"); used != "" {
		t.Errorf("credit spent on %s after the close", used)
	}
}

// The slot booked meanwhile by the office: the acceptance is refused by
// the lesson guard in its transaction (409, "gone"), nothing is spent.
func TestAcceptanceOfASlotBookedMeanwhileIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	abe := e.pianoStudent(t, e.f.ParentA.ID, "Abe", false)
	credit := e.credit(t, abe.Id, 15*time.Hour)
	e.cancel(t, e.f.LessonA1)
	token := linkIn(t, e.mailTo(t, e.f.ParentA.Email, "A piano slot is free"))

	slot := testapp.Record(t, e.app, "lessons", e.f.LessonA1)
	code, body := e.do(t, "POST", "/api/collections/lessons/records", e.f.Admin.Token, map[string]any{
		"teacher": e.f.TeacherX, "student": e.f.StudentA1, "instrument": e.f.Piano, "start": slot.GetString("start"),
		"end": slot.GetString("end"), "kind": "regular", "status": "scheduled"})
	if code != 200 {
		t.Fatalf("the office books the slot: %d %v", code, body)
	}
	code, body = e.do(t, "POST", "/api/v1/offers/"+token+"/accept", "", nil)
	if code != 409 || !strings.Contains(body["message"].(string), "gone") {
		t.Errorf("accept of a slot booked meanwhile: %d %v", code, body)
	}
	if used := testapp.Record(t, e.app, "makeup_credits", credit.Id).GetString("used_by"); used != "" {
		t.Errorf("credit spent on %s", used)
	}
	if n, _ := e.app.CountRecords("lessons", dbx.HashExp{"kind": "makeup"}); n != 0 {
		t.Errorf("%d make-up lessons booked", n)
	}
}

// A lesson cancelled with less time left than the offers need (they close
// two hours before the slot and stay open at least half an hour) is not
// offered at all.
func TestCancellationTooCloseToTheSlotOffersNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	abe := e.pianoStudent(t, e.f.ParentA.ID, "Abe", false)
	e.credit(t, abe.Id, 15*time.Hour)
	amy := e.f.StudentA1
	// Teacher X is available all day every day, so a lesson can sit soon.
	col, _ := e.app.FindCollectionByNameOrId("availability")
	for d := 0; d < 7; d++ {
		windows := [][2]string{{"00:00", "24:00"}}
		if d == 1 { // around the fixture's Monday 15:00–19:00
			windows = [][2]string{{"00:00", "15:00"}, {"19:00", "24:00"}}
		}
		for _, w := range windows {
			a := core.NewRecord(col)
			a.Load(map[string]any{"teacher": e.f.TeacherX, "weekday": d, "start_time": w[0], "end_time": w[1]})
			if err := e.app.Save(a); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now().UTC().Add(80 * time.Minute).Truncate(time.Minute)
	if start.Add(30*time.Minute).Day() != start.Day() {
		start = start.Truncate(24 * time.Hour).Add(24 * time.Hour) // not across midnight
	}
	// On Mondays the windows meet the fixture's 15:00–19:00 one: a lesson
	// across 15:00 or 19:00 fits no single window (the test failed on
	// Mondays from 13:10 to 13:40 and 17:10 to 17:40 UTC). It starts at
	// that hour instead, still under the offers' two and a half hours.
	if start.Weekday() == time.Monday {
		for _, h := range []int{15, 19} {
			at := time.Date(start.Year(), start.Month(), start.Day(), h, 0, 0, 0, time.UTC)
			if start.Before(at) && start.Add(30*time.Minute).After(at) {
				start = at
			}
		}
	}
	soon := e.lesson(t, amy, start, "scheduled")

	e.cancel(t, soon.Id)
	if n, _ := e.app.CountRecords("workflow_runs", dbx.HashExp{"name": "slot_offers"}); n != 0 {
		t.Errorf("%d offers runs for a slot %v away", n, time.Until(start).Round(time.Minute))
	}
	// The same holder is offered a slot far enough ahead (the check above
	// is about time, not about nobody to offer it to).
	e.cancel(t, e.f.LessonA1)
	e.mailTo(t, e.f.ParentA.Email, "A piano slot is free")
	if n := len(e.offersOf(t, soon.Id)); n != 0 {
		t.Errorf("%d offers of the slot too close", n)
	}
}

// An offer is its family's: the record API shows it to that family only,
// the link needs the exact token.
func TestOffersAreReadableOnlyByTheirFamily(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.f
	abe := e.pianoStudent(t, f.ParentA.ID, "Abe", false)
	bea := e.pianoStudent(t, f.ParentB.ID, "Bea", false)
	e.credit(t, abe.Id, 15*time.Hour)
	e.credit(t, bea.Id, 17*time.Hour)
	e.cancel(t, f.LessonA1)
	tokenA := linkIn(t, e.mailTo(t, f.ParentA.Email, "A piano slot is free"))
	e.mailTo(t, f.ParentB.Email, "A piano slot is free")
	offerA, err := e.app.FindFirstRecordByData("slot_offers", "token", tokenA)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		who   string
		token string
		want  int // offers listed
	}{{"parent A", f.ParentA.Token, 1}, {"parent B", f.ParentB.Token, 1}, {"teacher X", f.TeacherXUser.Token, 0}, {"guest", "", 0}, {"admin", f.Admin.Token, 2}} {
		code, body := e.do(t, "GET", "/api/collections/slot_offers/records", c.token, nil)
		items, _ := body["items"].([]any)
		if code != 200 || len(items) != c.want {
			t.Errorf("%s lists %d offers (%d), want %d", c.who, len(items), code, c.want)
		}
		for _, it := range items {
			if c.who == "parent B" && it.(map[string]any)["family"] != f.ParentB.ID {
				t.Errorf("parent B sees %v", it)
			}
		}
	}
	if code, _ := e.do(t, "GET", "/api/collections/slot_offers/records/"+offerA.Id, f.ParentB.Token, nil); code != 404 {
		t.Errorf("parent B views A's offer: %d", code)
	}
	if code, _ := e.do(t, "PATCH", "/api/collections/slot_offers/records/"+offerA.Id, f.ParentA.Token, map[string]any{"status": "taken"}); code < 400 {
		t.Errorf("a family wrote its own offer: %d", code)
	}
	wrong := strings.Repeat("a", 40)
	for _, path := range []string{"/api/v1/offers/" + wrong, "/api/v1/offers/short", "/api/v1/offers/" + tokenA[:39]} {
		if code, _ := e.do(t, "GET", path, "", nil); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := e.do(t, "POST", "/api/v1/offers/"+wrong+"/accept", f.ParentA.Token, nil); code != 404 {
		t.Errorf("accept with a wrong token: %d", code)
	}
	code, body := e.do(t, "GET", "/api/v1/offers/"+tokenA, "", nil)
	if code != 200 || body["id"] != offerA.Id {
		t.Errorf("GET with the token: %d %v", code, body)
	}
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), f.ParentA.Email) || strings.Contains(string(raw), f.ParentA.ID) {
		t.Errorf("the link's view names the family: %s", raw)
	}

	// A browser following the link gets a page whose button posts the
	// acceptance; the GET itself books nothing.
	page := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, html := page("GET", "/api/v1/offers/"+tokenA)
	if code != 200 || !strings.Contains(html, `<form method="post" action="/api/v1/offers/`+tokenA+`/accept">`) {
		t.Errorf("offer page: %d\n%s", code, html)
	}
	if n, _ := e.app.CountRecords("lessons", dbx.HashExp{"kind": "makeup"}); n != 0 {
		t.Errorf("showing the offer booked %d lessons", n)
	}
	if code, html := page("POST", "/api/v1/offers/"+wrong+"/accept"); code != 404 || !strings.Contains(html, "No such offer") {
		t.Errorf("page for a wrong token: %d\n%s", code, html)
	}
	if code, html := page("POST", "/api/v1/offers/"+tokenA+"/accept"); code != 200 || !strings.Contains(html, "Booked.") {
		t.Errorf("page after booking: %d\n%s", code, html)
	}
}

// With no credit holder, a student whose family asked for another weekly
// time is offered the slot: accepting moves that student's next lesson
// with the teacher into it.
func TestStudentWhoAskedForAnotherTimeCanMoveIntoTheSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.f
	cal := e.pianoStudent(t, f.ParentB.ID, "Cal", false)
	later := e.lesson(t, cal.Id, testapp.NextMonday().AddDate(0, 0, 7).Add(time.Hour), "scheduled")
	// The family says it would rather have another weekly time.
	if code, body := e.do(t, "PATCH", "/api/collections/students/records/"+cal.Id, f.ParentB.Token, map[string]any{"wants_other_time": true}); code != 200 {
		t.Fatalf("the family asks for another time: %d %v", code, body)
	}
	dee := e.pianoStudent(t, f.ParentA.ID, "Dee", false) // content with its time: not offered
	e.lesson(t, dee.Id, testapp.NextMonday().AddDate(0, 0, 7).Add(2*time.Hour), "scheduled")

	e.cancel(t, f.LessonA1)
	m := e.mailTo(t, f.ParentB.Email, "A piano slot is free")
	if !strings.Contains(m.Text, "different weekly time") {
		t.Errorf("move offer:\n%s", m.Text)
	}
	token := linkIn(t, m)
	if list := e.offersOf(t, f.LessonA1); len(list) != 1 || list[0].GetString("kind") != "move" || list[0].GetString("moves") != later.Id {
		t.Fatalf("offers %v", list)
	}
	code, body := e.do(t, "POST", "/api/v1/offers/"+token+"/accept", "", nil)
	if code != 200 || body["lesson"] != later.Id {
		t.Fatalf("accept: %d %v", code, body)
	}
	moved := testapp.Record(t, e.app, "lessons", later.Id)
	slot := testapp.Record(t, e.app, "lessons", f.LessonA1)
	if !moved.GetDateTime("start").Equal(slot.GetDateTime("start")) || moved.GetString("status") != "scheduled" {
		t.Errorf("the lesson is at %v, want the slot %v", moved.GetDateTime("start"), slot.GetDateTime("start"))
	}
	e.mailTo(t, f.ParentB.Email, "Lesson moved: ") // the move's own mail (notify)
	if got := testapp.Record(t, e.app, "slot_offers", e.offersOf(t, f.LessonA1)[0].Id).GetString("status"); got != "taken" {
		t.Errorf("the offer is %s", got)
	}
}

// The cancelled lesson's own student (whose cancellation by the academy
// just granted a credit) is not offered its own slot; with nobody else
// the run ends without an offer or a mail.
func TestNobodyToOfferToEndsQuietly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cancel(t, e.f.LessonA1)
	if _, err := e.app.FindFirstRecordByData("makeup_credits", "source_lesson", e.f.LessonA1); err != nil {
		t.Fatalf("the cancellation granted Amy no credit: %v", err)
	}
	run := e.runOf(t, e.f.LessonA1, workflows.StatusCompleted)
	var res offers.Result
	json.Unmarshal(run.Result, &res)
	if res.Outcome != "not_offered" || res.Offered != 0 || res.Reason == "" {
		t.Errorf("run result %s", run.Result)
	}
	if n := len(e.offersOf(t, e.f.LessonA1)); n != 0 {
		t.Errorf("%d offers", n)
	}
	if n, _ := e.app.CountRecords("email_outbox", dbx.NewExp("idempotency_key LIKE 'slot-offer%'")); n != 0 {
		t.Errorf("%d offer mails queued", n)
	}
}
