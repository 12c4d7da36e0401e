package notify

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/workflows"
)

// lesson_reminders.go: every hour a run finds the scheduled lessons that
// start about a day later and queues one reminder per lesson for its
// family. The cron schedule catches up after downtime (Slot.Previous), and
// the reminder's outbox key (lesson and start time) keeps overlapping
// windows from mailing twice.

// ReminderInput is the window of lesson starts to remind: (From, To].
type ReminderInput struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Validate checks the window.
func (in ReminderInput) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.From, validation.Required),
		validation.Field(&in.To, validation.Required, validation.By(func(any) error {
			if !in.To.After(in.From) || in.To.Sub(in.From) > 31*24*time.Hour {
				return validation.NewError("validation_window", "Must be after from, at most 31 days later.")
			}
			return nil
		})),
	)
}

type reminder struct {
	Lesson     string `db:"id" json:"lesson"`
	Start      string `db:"start" json:"start"`
	Email      string `db:"email" json:"email"`
	Family     string `db:"family" json:"family"`
	Student    string `db:"student" json:"student"`
	Teacher    string `db:"teacher" json:"teacher"`
	Instrument string `db:"instrument" json:"instrument"`
	When       string `db:"-" json:"when"`
}

type reminderState struct {
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Academy   string     `json:"academy"`
	Reminders []reminder `json:"reminders"`
	Queued    int        `json:"queued"`
}

// maxReminders bounds one window (a busy academy has a few hundred
// lessons a day).
const maxReminders = 5000

// LessonReminders queues the reminders of one window.
var LessonReminders = workflows.Define("lesson_reminders", 1,
	func(in ReminderInput) reminderState { return reminderState{From: in.From, To: in.To} },
	workflows.Task("find", findReminders).Then("queue"),
	workflows.Task("queue", queueReminders),
).Result(func(s *reminderState) any {
	return map[string]any{"from": s.From, "to": s.To, "queued": s.Queued}
})

// ReminderLead is how long before a lesson its reminder goes out.
const ReminderLead = 24 * time.Hour

func findReminders(s *workflows.Step[reminderState]) error {
	app, st := s.App(), s.State
	settings, err := academy.Load(app)
	if err != nil {
		return err
	}
	st.Academy = settings.Name
	from := st.From
	if now := time.Now(); from.Before(now) {
		from = now // a caught-up window never reminds of lessons already past
	}
	rows := []reminder{}
	err = app.DB().NewQuery(`SELECT l.id, l.start, u.email, u.name AS family, s.first_name AS student,
			t.display_name AS teacher, COALESCE(i.name, '') AS instrument
		FROM lessons l
		JOIN students s ON s.id = l.student
		JOIN users u ON u.id = s.parent
		JOIN teachers t ON t.id = l.teacher
		LEFT JOIN instruments i ON i.id = l.instrument
		WHERE l.status = 'scheduled' AND l.start > {:from} AND l.start <= {:to} AND s.deleted = ''
		ORDER BY l.start, l.id LIMIT {:limit}`).
		Bind(dbx.Params{"from": dbTime(from), "to": dbTime(st.To), "limit": maxReminders}).All(&rows)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].When = parseDBTime(rows[i].Start).In(settings.Zone).Format("Monday 2 January at 15:04 (MST)")
	}
	st.Reminders = rows
	return nil
}

func queueReminders(s *workflows.Step[reminderState]) error {
	st := s.State
	mails := make([]workflows.Mail, 0, len(st.Reminders))
	for _, r := range st.Reminders {
		greeting := "Hello,"
		if r.Family != "" {
			greeting = "Hello " + r.Family + ","
		}
		mails = append(mails, workflows.Mail{
			To:      []string{r.Email},
			Subject: fmt.Sprintf("Reminder: %s's %s lesson %s", r.Student, r.Instrument, r.When),
			Text: fmt.Sprintf("%s\n\nA reminder that %s has a %s lesson with %s on %s.\nIf you cannot come, please cancel it in good time.\n\n%s",
				greeting, r.Student, r.Instrument, r.Teacher, r.When, st.Academy),
			IdempotencyKey: "lesson-reminder:" + r.Lesson + ":" + r.Start,
		})
	}
	st.Queued = len(mails)
	s.Write(func(tx core.App) error {
		for _, m := range mails {
			if _, err := workflows.EnqueueMail(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}
