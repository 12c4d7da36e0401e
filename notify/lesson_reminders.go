package notify

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/letters"
	"cedarheights/workflows"
)

// lesson_reminders.go: every hour a run finds the scheduled lessons that
// start about a day later and queues one reminder per lesson for its
// family and one for its teacher, on the academy's layout with the
// lesson's .ics, except to a user who turned reminders off (users field
// reminders_off, which a user sets on itself). The cron schedule catches up
// after downtime (Slot.Previous), and the reminder's outbox key (lesson,
// start time, recipient) keeps overlapping windows from mailing twice.

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
	Lesson       string `db:"id" json:"lesson"`
	Start        string `db:"start" json:"start"`
	End          string `db:"end" json:"end"`
	Created      string `db:"created" json:"created"`
	Updated      string `db:"updated" json:"updated"`
	Email        string `db:"email" json:"email"`
	Family       string `db:"family" json:"family"`
	FamilyOff    bool   `db:"family_off" json:"family_off,omitempty"`
	Student      string `db:"student" json:"student"`
	Teacher      string `db:"teacher" json:"teacher"`
	TeacherEmail string `db:"teacher_email" json:"teacher_email"`
	TeacherOff   bool   `db:"teacher_off" json:"teacher_off,omitempty"`
	Instrument   string `db:"instrument" json:"instrument"`
	Room         string `db:"room" json:"room,omitempty"`
	When         string `db:"-" json:"when"`
}

type reminderState struct {
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Academy   string     `json:"academy"`
	Sender    sender     `json:"sender"`
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
	if st.Sender, err = loadSender(app); err != nil {
		return err
	}
	from := st.From
	if now := time.Now(); from.Before(now) {
		from = now // a caught-up window never reminds of lessons already past
	}
	rows := []reminder{}
	err = app.DB().NewQuery(`SELECT l.id, l.start, l.end, l.created, l.updated,
			u.email, u.name AS family, u.reminders_off AS family_off, s.first_name AS student,
			t.display_name AS teacher, tu.email AS teacher_email, tu.reminders_off AS teacher_off,
			COALESCE(i.name, '') AS instrument, COALESCE(r.name, '') AS room
		FROM lessons l
		JOIN students s ON s.id = l.student
		JOIN users u ON u.id = s.parent
		JOIN teachers t ON t.id = l.teacher
		JOIN users tu ON tu.id = t.user
		LEFT JOIN instruments i ON i.id = l.instrument
		LEFT JOIN rooms r ON r.id = l.room
		WHERE l.status = 'scheduled' AND l.start > {:from} AND l.start <= {:to} AND s.deleted = ''
			AND NOT (u.reminders_off AND tu.reminders_off)
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
	mails := make([]workflows.Mail, 0, 2*len(st.Reminders))
	for _, r := range st.Reminders {
		f := lessonFacts{
			Lesson: r.Lesson, Start: parseDBTime(r.Start), End: parseDBTime(r.End),
			Created: parseDBTime(r.Created), Updated: parseDBTime(r.Updated),
			Student: r.Student, Instrument: r.Instrument, Room: r.Room,
			Teacher: person{Role: "teacher", Name: r.Teacher, Email: r.TeacherEmail},
			Family:  person{Role: "family", Name: r.Family, Email: r.Email},
		}
		ics, err := f.invite(st.Sender, letters.Request, f.Start, f.End, f.Teacher).ICS()
		if err != nil {
			return workflows.Permanent(err)
		}
		details := []letters.Detail{{Label: "When", Value: st.Sender.when(f.Start, f.End)}, {Label: "Student", Value: f.Student},
			{Label: "Instrument", Value: f.Instrument}, {Label: "Teacher", Value: f.Teacher.Name}}
		if f.Room != "" {
			details = append(details, letters.Detail{Label: "Room", Value: f.Room})
		}
		for _, to := range []person{f.Family, f.Teacher} {
			if (to.Role == "family" && r.FamilyOff) || (to.Role == "teacher" && r.TeacherOff) {
				continue
			}
			l := letters.Letter{
				Subject:  fmt.Sprintf("Reminder: %s's %s lesson %s", r.Student, r.Instrument, r.When),
				Greeting: greeting(to),
				Paragraphs: []string{
					fmt.Sprintf("A reminder that %s has a %s lesson with %s on %s.", r.Student, r.Instrument, r.Teacher, r.When),
				},
				Details: details,
				Footer:  "You receive this because lesson reminders are on for your account; you can turn them off in your account settings.",
			}
			if to.Role == "family" {
				l.Paragraphs = append(l.Paragraphs, "If you cannot come, please cancel it in good time.")
			}
			m, err := lessonMail(st.Sender, to, l, "lesson-reminder:"+r.Lesson+":"+r.Start+":"+to.Role, letters.InviteFileName, ics)
			if err != nil {
				return workflows.Permanent(err)
			}
			mails = append(mails, m)
		}
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
