package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/bench/internal/benchmail"
	"cedarheights/notify"
	"cedarheights/workflows"
)

// reminders.go: the mail of a day of lessons. The day's lessons (and the
// families, students and teachers behind them) are written with plain SQL
// in one transaction: the lesson guard is not what is measured, and
// 10,000 guarded saves would take minutes. Then the 24 hourly
// lesson_reminders windows of that day are started at once (the schedule
// spreads them over the day before; at once is the worst case) and the
// time is taken until the engine's outbox has handed every reminder to
// mailpit.

const benchDay = 10 // days from today: clear of the enrollments' trial lessons

func fmtDB(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") }

// seedDay writes n lessons on the day benchDay days ahead (local), fifty
// per teacher 25 minutes apart, one per student, two students per family;
// it returns the day's local midnight.
func (env *academyEnv) seedDay(n int) (time.Time, error) {
	d := time.Now().In(env.zone).AddDate(0, 0, benchDay)
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, env.zone)
	now := fmtDB(time.Now())
	err := env.app.RunInTransaction(func(tx core.App) error {
		db := tx.DB()
		insert := func(table string, p dbx.Params) error {
			p["created"], p["updated"] = now, now
			_, err := db.Insert(table, p).Execute()
			return err
		}
		var teacher, family string
		for i := range n {
			if i%50 == 0 {
				u := core.GenerateDefaultRandomId()
				if err := insert("users", dbx.Params{"id": u, "email": fmt.Sprintf("dayteacher%04d@bench.test", i/50), "name": fmt.Sprintf("Day Teacher %d", i/50),
					"role": "teacher", "verified": true, "password": env.hash, "tokenKey": security.RandomString(50)}); err != nil {
					return err
				}
				teacher = core.GenerateDefaultRandomId()
				if err := insert("teachers", dbx.Params{"id": teacher, "user": u, "display_name": fmt.Sprintf("Day Teacher %d", i/50),
					"instruments": `["` + env.piano + `"]`, "lesson_lengths": `["30"]`, "capacity": 100, "active": true}); err != nil {
					return err
				}
			}
			if i%2 == 0 {
				family = core.GenerateDefaultRandomId()
				if err := insert("users", dbx.Params{"id": family, "email": fmt.Sprintf("dayfamily%05d@bench.test", i/2), "name": fmt.Sprintf("Day Family %d", i/2),
					"role": "parent", "verified": true, "password": env.hash, "tokenKey": security.RandomString(50)}); err != nil {
					return err
				}
			}
			student := core.GenerateDefaultRandomId()
			if err := insert("students", dbx.Params{"id": student, "parent": family, "first_name": fmt.Sprintf("Kid%d", i), "last_name": "Day",
				"instruments": `["` + env.piano + `"]`, "level": "beginner", "status": "active"}); err != nil {
				return err
			}
			start := midnight.Add(5*time.Minute + time.Duration(i%50)*25*time.Minute)
			if err := insert("lessons", dbx.Params{"id": core.GenerateDefaultRandomId(), "teacher": teacher, "student": student, "instrument": env.piano,
				"start": fmtDB(start), "end": fmtDB(start.Add(20 * time.Minute)), "kind": "regular", "status": "scheduled"}); err != nil {
				return err
			}
		}
		return nil
	})
	return midnight, err
}

// outboxPending counts the messages not sent yet.
func outboxCount(app core.App, where string) int {
	var n int
	app.DB().NewQuery("SELECT COUNT(*) FROM email_outbox WHERE " + where).Row(&n)
	return n
}

func waitOutbox(app core.App, done func() bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !done() {
		if failed := outboxCount(app, "status = 'failed'"); failed > 0 {
			return fmt.Errorf("%d outbox messages failed", failed)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("outbox not drained after %s: %d pending", timeout, outboxCount(app, "status = 'pending'"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func measureReminderDay(env *academyEnv, mp *benchmail.Mailpit, cfg config) ([]row, error) {
	app := env.app
	fmt.Fprintf(os.Stderr, "writing a day of %d lessons…\n", cfg.lessons)
	midnight, err := env.seedDay(cfg.lessons)
	if err != nil {
		return nil, err
	}
	// The enrollments' mail leaves first, so the day's is measured alone.
	if err := waitOutbox(app, func() bool { return outboxCount(app, "status = 'pending'") == 0 }, 5*time.Minute); err != nil {
		return nil, err
	}
	if err := mp.Clear(); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "reminders: 24 lesson_reminders runs, then the outbox to mailpit…\n")
	began := time.Now()
	ids := make([]string, 0, 24)
	for h := range 24 {
		from := midnight.Add(time.Duration(h) * time.Hour)
		run, err := workflows.Start(app, notify.LessonReminders, notify.ReminderInput{From: from, To: from.Add(time.Hour)},
			workflows.StartOptions{IdempotencyKey: fmt.Sprintf("bench:reminders:%d", h)})
		if err != nil {
			return nil, err
		}
		ids = append(ids, run.ID)
	}
	queuedCount := 0
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, id := range ids {
		r, err := workflows.Await(ctx, app, id)
		if err != nil {
			return nil, err
		}
		if r.Status != workflows.StatusCompleted {
			return nil, fmt.Errorf("reminders run %s ended %s: %s", id, r.Status, r.Error)
		}
		var res struct {
			Queued int `json:"queued"`
		}
		json.Unmarshal(r.Result, &res)
		queuedCount += res.Queued
	}
	queued := time.Since(began)
	// One reminder per lesson to the family and one to the teacher.
	want := 2 * cfg.lessons
	if queuedCount != want {
		return nil, fmt.Errorf("%d reminders queued for %d lessons, want %d", queuedCount, cfg.lessons, want)
	}
	sentWhere := "status = 'sent' AND idempotency_key LIKE 'lesson-reminder:%'"
	if err := waitOutbox(app, func() bool { return outboxCount(app, sentWhere) >= want }, 30*time.Minute); err != nil {
		return nil, err
	}
	handed := time.Since(began)
	received, err := mp.Count()
	if err != nil {
		return nil, err
	}
	if received != want {
		return nil, fmt.Errorf("mailpit holds %d messages, want %d", received, want)
	}

	// Baseline: the same kind of message sent straight to mailpit with
	// PocketBase's mail client, one after another as the outbox does.
	if err := mp.Clear(); err != nil {
		return nil, err
	}
	from := mail.Address{Name: app.Settings().Meta.SenderName, Address: app.Settings().Meta.SenderAddress}
	client := app.NewMailClient()
	directStart := time.Now()
	for i := range cfg.baseline {
		err := client.Send(&mailer.Message{
			From: from, To: []mail.Address{{Address: fmt.Sprintf("direct%05d@bench.test", i)}},
			Subject: "Reminder: Kid's Piano lesson tomorrow", Text: "A reminder that Kid has a Piano lesson tomorrow.",
		})
		if err != nil {
			return nil, fmt.Errorf("direct send: %w", err)
		}
	}
	direct := time.Since(directStart)

	rate := float64(want) / handed.Seconds()
	directRate := float64(cfg.baseline) / direct.Seconds()
	return []row{
		{fmt.Sprintf("Mail for a day of %d lessons: reminders queued (24 lesson_reminders runs at once)", cfg.lessons),
			fmt.Sprintf("%.2f s (%.0f reminders/s)", queued.Seconds(), float64(want)/queued.Seconds()), "",
			"each run finds its hour's lessons and queues two reminders per lesson (family, teacher) in the outbox, in its checkpoint"},
		{"… and handed to SMTP (mailpit) by the outbox",
			fmt.Sprintf("%.1f s from the first run: **%.0f messages/s**", handed.Seconds(), rate), "",
			fmt.Sprintf("%d messages in mailpit; the sender sends one at a time, marking each sent", received)},
		{"Baseline: the same kind of message straight to mailpit (PocketBase's mail client, no outbox)",
			fmt.Sprintf("%.0f messages/s", directRate), "",
			fmt.Sprintf("%d messages, one after another, in the same run", cfg.baseline)},
	}, nil
}
