package workflows_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

type slotInput struct {
	Time     time.Time `json:"time"`
	Previous time.Time `json:"previous"`
}

func TestScheduleFiresOncePerSlotAndCatchesUp(t *testing.T) {
	t.Parallel()
	hourly := workflows.Define("hourly", 1, func(in slotInput) tally { return tally{} },
		workflows.Task("a", func(*workflows.Step[tally]) error { return nil }))
	reg := registry(t, hourly)
	if err := workflows.Schedule(reg, "hourly", "0 * * * *", hourly, func(s workflows.Slot) slotInput {
		return slotInput{Time: s.Time, Previous: s.Previous}
	}); err != nil {
		t.Fatal(err)
	}
	if err := workflows.Schedule(reg, "hourly", "@daily", hourly, func(workflows.Slot) slotInput { return slotInput{} }); err == nil {
		t.Error("a second schedule with the same name was accepted")
	}
	if err := workflows.Schedule(reg, "bad", "61 * * * *", hourly, func(workflows.Slot) slotInput { return slotInput{} }); err == nil {
		t.Error("an invalid cron expression was accepted")
	}
	app, eng := newEngine(t, reg)
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 3, 1, hh, mm, ss, 0, time.UTC) }

	fire := func(e *workflows.Engine, now time.Time) []*workflows.Run {
		t.Helper()
		runs, err := e.RunSchedules(now)
		if err != nil {
			t.Fatal(err)
		}
		return runs
	}
	if runs := fire(eng, at(10, 7, 0)); len(runs) != 0 {
		t.Fatalf("first sight fired %d runs: no slot was missed yet", len(runs))
	}
	runs := fire(eng, at(11, 0, 30))
	if len(runs) != 1 {
		t.Fatalf("11:00 fired %d runs", len(runs))
	}
	var in slotInput
	json.Unmarshal(runs[0].Input, &in)
	if !in.Time.Equal(at(11, 0, 0)) || !in.Previous.Equal(at(10, 6, 0)) {
		t.Errorf("slot %+v", in)
	}
	if runs := fire(eng, at(11, 0, 50)); len(runs) != 0 {
		t.Errorf("the 11:00 slot fired twice")
	}
	// A restart: a new engine on the same data fires nothing old.
	eng.Stop()
	next := workflows.NewEngine(app, testOptions(reg))
	if runs := fire(next, at(11, 30, 0)); len(runs) != 0 {
		t.Errorf("after a restart the 11:00 slot fired again")
	}
	// Down from 11:30 to 14:10: the missed slots catch up once, covering the gap.
	runs = fire(next, at(14, 10, 0))
	if len(runs) != 1 {
		t.Fatalf("catch-up fired %d runs, want 1", len(runs))
	}
	json.Unmarshal(runs[0].Input, &in)
	if !in.Time.Equal(at(14, 0, 0)) || !in.Previous.Equal(at(11, 0, 0)) {
		t.Errorf("catch-up slot %+v, want 14:00 covering from 11:00", in)
	}
	n, _ := app.CountRecords("workflow_runs", dbx.HashExp{"name": "hourly"})
	if n != 2 {
		t.Errorf("%d runs in all, want 2", n)
	}
	var last struct {
		LastSlot string `db:"last_slot"`
		LastRun  string `db:"last_run"`
	}
	app.DB().Select("last_slot", "last_run").From("workflow_schedules").Where(dbx.HashExp{"name": "hourly"}).One(&last)
	if last.LastSlot != "2026-03-01 14:00:00.000Z" || last.LastRun != runs[0].ID {
		t.Errorf("schedule row %+v", last)
	}
}

type roomInput struct {
	Room string `json:"room"`
}

func TestRecordTriggerStartsInTheSameTransaction(t *testing.T) {
	t.Parallel()
	flow := workflows.Define("room_welcome", 1, func(in roomInput) tally { return tally{Log: []string{in.Room}} },
		workflows.Task("a", func(*workflows.Step[tally]) error { return nil }))
	reg := registry(t, flow)
	workflows.OnRecordCreate(reg, "rooms", flow, func(tx core.App, rec *core.Record) (roomInput, workflows.StartOptions, error) {
		switch {
		case strings.HasPrefix(rec.GetString("name"), "skip"):
			return roomInput{}, workflows.StartOptions{}, workflows.ErrSkip
		case strings.HasPrefix(rec.GetString("name"), "fail"):
			return roomInput{}, workflows.StartOptions{}, errors.New("no")
		}
		return roomInput{Room: rec.Id}, workflows.StartOptions{Subject: "rooms:" + rec.Id}, nil
	})
	app, _ := newEngine(t, reg)
	rooms, _ := app.FindCollectionByNameOrId("rooms")
	save := func(name string) (*core.Record, error) {
		r := core.NewRecord(rooms)
		r.Set("name", name)
		r.Set("capacity", 1)
		r.Set("active", true)
		return r, app.Save(r)
	}
	room, err := save("Studio 9")
	if err != nil {
		t.Fatal(err)
	}
	run, err := app.FindFirstRecordByData("workflow_runs", "subject", "rooms:"+room.Id)
	if err != nil {
		t.Fatalf("no run for the new room: %v", err)
	}
	waitFor(t, app, run.Id, 5*time.Second, workflows.StatusCompleted)

	before, _ := app.CountRecords("workflow_runs")
	if _, err := save("skip me"); err != nil {
		t.Fatal(err)
	}
	if r, err := save("fail me"); err == nil {
		t.Error("a failing trigger let the room be created")
	} else if _, ferr := app.FindRecordById("rooms", r.Id); ferr == nil {
		t.Error("the room of a failed trigger exists")
	}
	if _, err := save(""); err == nil { // invalid: name required
		t.Error("an invalid room saved")
	}
	after, _ := app.CountRecords("workflow_runs")
	if after != before {
		t.Errorf("%d runs started by skipped, failed or invalid records", after-before)
	}
}

func TestSignalTriggerStartsARunPerEvent(t *testing.T) {
	t.Parallel()
	type hello struct {
		Who string `json:"who"`
	}
	flow := workflows.Define("greet", 1, func(in hello) tally { return tally{Log: []string{in.Who}} },
		workflows.Task("a", func(*workflows.Step[tally]) error { return nil }))
	reg := registry(t, flow)
	workflows.OnSignal(reg, "hello:", flow, func(ev workflows.Event) (hello, workflows.StartOptions, error) {
		var h hello
		return h, workflows.StartOptions{Subject: ev.Key}, json.Unmarshal(ev.Payload, &h)
	})
	app, _ := newEngine(t, reg)
	res, err := workflows.Signal(app, "hello:1", map[string]string{"who": "Ada"}, workflows.SignalOptions{EventID: "wh_1"})
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("signal: %+v %v", res, err)
	}
	done := waitFor(t, app, res.Started[0], 5*time.Second, workflows.StatusCompleted)
	if !strings.Contains(string(done.State), "Ada") || done.IdempotencyKey != "event:wh_1" {
		t.Errorf("run state %s key %q", done.State, done.IdempotencyKey)
	}
	again, _ := workflows.Signal(app, "hello:1", map[string]string{"who": "Ada"}, workflows.SignalOptions{EventID: "wh_1"})
	other, _ := workflows.Signal(app, "bye:1", nil)
	if !again.Duplicate || len(again.Started) != 0 || len(other.Started) != 0 {
		t.Errorf("redelivery %+v, other prefix %+v", again, other)
	}
	if n, _ := app.CountRecords("workflow_runs", dbx.HashExp{"name": "greet"}); n != 1 {
		t.Errorf("%d runs", n)
	}
	if _, err := workflows.Signal(app, "", nil); err == nil {
		t.Error("an empty key was accepted")
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	app, eng := newEngine(t, workflows.NewRegistry())
	m := workflows.Mail{To: []string{"parent@example.com"}, Subject: "Lesson moved", Text: "Now at 5pm.\nSee you.", IdempotencyKey: "move:1"}
	id1, err := workflows.EnqueueMail(app, m)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := workflows.EnqueueMail(app, m)
	if id1 != id2 {
		t.Errorf("the same key queued twice: %s %s", id1, id2)
	}
	for _, bad := range []workflows.Mail{
		{Subject: "s", Text: "t", IdempotencyKey: "k"},
		{To: []string{"not an address"}, Subject: "s", Text: "t", IdempotencyKey: "k"},
		{To: []string{"a@example.com"}, Text: "t", IdempotencyKey: "k"},
		{To: []string{"a@example.com"}, Subject: "s", Text: "t"},
		{To: []string{"a@example.com"}, Subject: "s", IdempotencyKey: "k"},
	} {
		if _, err := workflows.EnqueueMail(app, bad); err == nil {
			t.Errorf("queued %+v", bad)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for app.TestMailer.TotalSend() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if app.TestMailer.TotalSend() != 1 {
		t.Fatalf("%d mails sent", app.TestMailer.TotalSend())
	}
	msg := app.TestMailer.LastMessage()
	if msg.Subject != "Lesson moved" || msg.To[0].Address != "parent@example.com" || !strings.Contains(msg.HTML, "Now at 5pm.<br>See you.") || msg.Headers["Message-ID"] == "" {
		t.Errorf("message %+v", msg)
	}
	time.Sleep(50 * time.Millisecond)
	row, _ := app.FindRecordById("email_outbox", id1)
	if row.GetString("status") != "sent" || row.GetInt("attempts") != 1 || row.GetDateTime("sent_at").IsZero() {
		t.Errorf("row %v", row.PublicExport())
	}

	// A failing mailer: retried with a backoff capped at 15 minutes, and
	// never given up for a temporary failure however many attempts it took;
	// only after three days undelivered.
	eng.Stop()
	app.OnMailerSend().BindFunc(func(e *core.MailerEvent) error { return errors.New("smtp: 451 try later") })
	id3, _ := workflows.EnqueueMail(app, workflows.Mail{To: []string{"b@example.com"}, Subject: "s", Text: "t", IdempotencyKey: "fail:1"})
	if _, err := eng.SendPendingMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	row, _ = app.FindRecordById("email_outbox", id3)
	if row.GetString("status") != "pending" || row.GetInt("attempts") != 1 || !strings.Contains(row.GetString("last_error"), "451") ||
		!row.GetDateTime("next_attempt").Time().After(time.Now()) {
		t.Errorf("after a failure: %v", row.PublicExport())
	}
	for range 12 {
		app.NonconcurrentDB().Update("email_outbox", dbx.Params{"next_attempt": ""}, dbx.HashExp{"id": id3}).Execute()
		eng.SendPendingMail(t.Context())
		row, _ = app.FindRecordById("email_outbox", id3)
		if next := row.GetDateTime("next_attempt").Time(); next.After(time.Now().Add(15*time.Minute + time.Second)) {
			t.Errorf("attempt %d: next in %s, beyond the 15 min cap", row.GetInt("attempts"), time.Until(next))
		}
	}
	if row.GetString("status") != "pending" || row.GetInt("attempts") != 13 || row.GetString("failed_reason") != "" {
		t.Errorf("after 13 temporary failures: %v", row.PublicExport())
	}
	queued := time.Now().Add(-workflows.MailGiveUpAfter - time.Minute).UTC().Format("2006-01-02 15:04:05.000Z")
	app.NonconcurrentDB().Update("email_outbox", dbx.Params{"next_attempt": "", "created": queued}, dbx.HashExp{"id": id3}).Execute()
	eng.SendPendingMail(t.Context())
	row, _ = app.FindRecordById("email_outbox", id3)
	if row.GetString("status") != "failed" || row.GetInt("attempts") != 14 ||
		!strings.Contains(row.GetString("failed_reason"), "not delivered within 72 hours") || !strings.Contains(row.GetString("failed_reason"), "451") {
		t.Errorf("three days undelivered: %v", row.PublicExport())
	}
}
