package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/letters"
	"cedarheights/records"
	"cedarheights/workflows"
)

// lesson_changes.go: a scheduled lesson moved (its start, end or teacher
// changed), cancelled, or reinstated is told to the family and the teacher,
// each by one mail with the lesson's .ics: REQUEST with a higher SEQUENCE
// for a move or a reinstatement (calendar apps update the event they
// have), CANCEL for a cancellation (they remove it). A cancellation mail
// gives the make-up policy's decision and its reason, as stored on the
// lesson (cancellation_note) and its credit. A teacher taken off a moved
// lesson gets a CANCEL.
//
// Started by a record trigger in the transaction that updates the lesson,
// on every path. The run's input is the lesson as that write left it, so
// two quick moves are two mails, each with its own times and SEQUENCE, and
// the keys (lesson, change, updated time, recipient) keep a retried run
// from mailing twice. A "following" change of a series is one mail per
// lesson.

// Change is what happened to a lesson.
type Change string

const (
	Moved      Change = "moved"
	Cancelled  Change = "cancelled"
	Reinstated Change = "reinstated"
)

// ChangeInput is a lesson as one write left it.
type ChangeInput struct {
	Lesson        string    `json:"lesson"`
	Change        Change    `json:"change"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Teacher       string    `json:"teacher"`
	FormerStart   time.Time `json:"former_start"`
	FormerEnd     time.Time `json:"former_end"`
	FormerTeacher string    `json:"former_teacher"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	CancelledBy   string    `json:"cancelled_by,omitempty"`
	Note          string    `json:"note,omitempty"` // cancellation_note: the make-up decision
}

// Validate checks the input before a run is made.
func (in ChangeInput) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.Lesson, validation.Required, validation.Match(records.IDPattern)),
		validation.Field(&in.Change, validation.Required, validation.In(Moved, Cancelled, Reinstated)),
		validation.Field(&in.Teacher, validation.Required, validation.Match(records.IDPattern)),
		validation.Field(&in.Start, validation.Required),
		validation.Field(&in.End, validation.Required),
		validation.Field(&in.Updated, validation.Required),
	)
}

// version names this write of the lesson in keys.
func (in ChangeInput) version() string { return strconv.FormatInt(in.Updated.UnixMilli(), 10) }

type changeState struct {
	In      ChangeInput `json:"in"`
	Problem string      `json:"problem,omitempty"`
	Sender  sender      `json:"sender"`
	Facts   lessonFacts `json:"facts"`
	Teacher person      `json:"teacher"`                 // as the write left it
	Former  *person     `json:"former,omitempty"`        // the teacher taken off, if any
	Credit  string      `json:"credit,omitempty"`        // the make-up decision in words
	Expires time.Time   `json:"credit_expires,omitzero"` // of the credit given
	Mails   []string    `json:"mails,omitempty"`         // keys, written by the one mail node
}

// ChangeResult is what a finished change mail reports.
type ChangeResult struct {
	Lesson string   `json:"lesson"`
	Change Change   `json:"change"`
	Told   bool     `json:"told"`
	Reason string   `json:"reason,omitempty"`
	Mails  []string `json:"mails"`
}

// LessonChange tells the family and the teacher that a lesson moved, was
// cancelled or reinstated.
var LessonChange = workflows.Define("lesson_change", 1,
	func(in ChangeInput) changeState { return changeState{In: in} },
	workflows.Task("load", loadChange).Then("check"),
	workflows.Router("check", func(s *changeState) string {
		if s.Problem != "" {
			return "skip"
		}
		return "tell"
	}).Branch("tell", "mail").Fallback("skipped"),
	workflows.Task("mail", mailChange),
	workflows.Task("skipped", func(s *workflows.Step[changeState]) error { return nil }),
).Result(func(s *changeState) any {
	return ChangeResult{Lesson: s.In.Lesson, Change: s.In.Change, Told: s.Problem == "", Reason: s.Problem, Mails: mailKeys(s.Mails...)}
})

// changeForUpdatedLesson starts a run for the writes a family or teacher
// must hear about, and skips the rest (attendance, notes, past lessons).
func changeForUpdatedLesson(_ core.App, lesson *core.Record) (ChangeInput, workflows.StartOptions, error) {
	if isQuiet(lesson) {
		return ChangeInput{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	before := lesson.Original()
	from, to := before.GetString("status"), lesson.GetString("status")
	in := ChangeInput{
		Lesson: lesson.Id,
		Start:  lesson.GetDateTime("start").Time(), End: lesson.GetDateTime("end").Time(),
		Teacher:     lesson.GetString("teacher"),
		FormerStart: before.GetDateTime("start").Time(), FormerEnd: before.GetDateTime("end").Time(),
		FormerTeacher: before.GetString("teacher"),
		Created:       lesson.GetDateTime("created").Time(), Updated: lesson.GetDateTime("updated").Time(),
	}
	switch {
	case from == "scheduled" && to == "cancelled":
		in.Change, in.CancelledBy, in.Note = Cancelled, lesson.GetString("cancelled_by"), lesson.GetString("cancellation_note")
	case from == "cancelled" && to == "scheduled":
		in.Change = Reinstated
	case from == "scheduled" && to == "scheduled" &&
		(!in.Start.Equal(in.FormerStart) || !in.End.Equal(in.FormerEnd) || in.Teacher != in.FormerTeacher):
		in.Change = Moved
	default:
		return ChangeInput{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	if !in.Start.After(time.Now()) {
		return ChangeInput{}, workflows.StartOptions{}, workflows.ErrSkip // nothing to tell about a past lesson
	}
	return in, workflows.StartOptions{
		IdempotencyKey: "lesson_change:" + lesson.Id + ":" + string(in.Change) + ":" + in.version(),
		Subject:        "lessons:" + lesson.Id,
	}, nil
}

func loadChange(s *workflows.Step[changeState]) error {
	app, st := s.App(), s.State
	snd, err := loadSender(app)
	if err != nil {
		return err
	}
	st.Sender = snd
	facts, found, err := loadLessonFacts(app, st.In.Lesson)
	if err != nil {
		return err
	}
	if !found {
		st.Problem = "the lesson no longer exists"
		return nil
	}
	st.Facts = facts
	if st.Teacher, err = teacherPerson(app, st.In.Teacher); err != nil {
		return fmt.Errorf("teacher %s: %w", st.In.Teacher, err)
	}
	if st.In.Change == Moved && st.In.FormerTeacher != st.In.Teacher && st.In.FormerTeacher != "" {
		former, err := teacherPerson(app, st.In.FormerTeacher)
		if err == nil {
			former.Role = "former-teacher"
			st.Former = &former
		}
	}
	if st.In.Change == Cancelled {
		st.Credit = makeupWords(st.In.Note)
		if credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", st.In.Lesson); err == nil &&
			credit.GetDateTime("revoked_at").IsZero() {
			st.Expires = credit.GetDateTime("expires").Time()
		}
	}
	return nil
}

// makeupWords turns the stored decision ("make-up credit: cancelled 48h
// ahead (policy: 24h)", "no make-up credit: late cancellation: …") into a
// sentence.
func makeupWords(note string) string {
	because := func(reason string) string {
		switch {
		case strings.HasPrefix(reason, "cancelled "):
			return "because the lesson was " + reason
		case strings.HasPrefix(reason, "late cancellation"):
			return "because this was a " + reason
		}
		return "because: " + reason
	}
	if reason, ok := strings.CutPrefix(note, "no make-up credit: "); ok {
		return "No make-up credit was given " + because(reason) + "."
	}
	if reason, ok := strings.CutPrefix(note, "make-up credit: "); ok {
		return "A make-up credit was given " + because(reason) + "."
	}
	return ""
}

// mailChange queues every recipient's mail in one checkpoint: the family,
// the teacher, and a teacher taken off the lesson.
func mailChange(s *workflows.Step[changeState]) error {
	st := s.State
	in, f := st.In, st.Facts
	zone := st.Sender.zone()
	when := st.Sender.when(in.Start, in.End)
	was := st.Sender.when(in.FormerStart, in.FormerEnd)
	title := f.title()
	details := []letters.Detail{{Label: "Student", Value: f.Student}, {Label: "Instrument", Value: f.Instrument}, {Label: "Teacher", Value: st.Teacher.Name}}

	type letter struct {
		to     person
		method letters.Method
		l      letters.Letter
	}
	var out []letter
	switch in.Change {
	case Moved:
		l := letters.Letter{
			Subject:    fmt.Sprintf("Lesson moved: %s, now %s", title, when),
			Paragraphs: []string{fmt.Sprintf("%s’s %s lesson has moved. The attached calendar file updates the event in your calendar.", f.Student, strings.ToLower(f.Instrument))},
			Details:    append([]letters.Detail{{Label: "Now", Value: when}, {Label: "Was", Value: was}}, details...),
		}
		out = append(out, letter{f.Family, letters.Request, l}, letter{st.Teacher, letters.Request, l})
		if st.Former != nil {
			out = append(out, letter{*st.Former, letters.Cancel, letters.Letter{
				Subject:    fmt.Sprintf("Lesson reassigned: %s, %s", title, was),
				Paragraphs: []string{fmt.Sprintf("%s’s %s lesson on %s is now taught by %s; it leaves your calendar.", f.Student, strings.ToLower(f.Instrument), was, st.Teacher.Name)},
			}})
		}
	case Cancelled:
		by := "by the academy"
		if in.CancelledBy == "family" {
			by = "by the family"
		}
		paragraphs := []string{fmt.Sprintf("%s’s %s lesson on %s is cancelled (%s).", f.Student, strings.ToLower(f.Instrument), when, by)}
		if st.Credit != "" {
			credit := st.Credit
			if !st.Expires.IsZero() {
				credit += " It can be used for a make-up lesson until " + st.Expires.In(zone).Format("2 January 2006") + "."
			}
			paragraphs = append(paragraphs, credit)
		}
		paragraphs = append(paragraphs, "The attached calendar file removes the lesson from your calendar.")
		l := letters.Letter{
			Subject:    fmt.Sprintf("Lesson cancelled: %s, %s", title, when),
			Paragraphs: paragraphs,
			Details:    append([]letters.Detail{{Label: "When", Value: when}}, details...),
		}
		out = append(out, letter{f.Family, letters.Cancel, l}, letter{st.Teacher, letters.Cancel, l})
	case Reinstated:
		l := letters.Letter{
			Subject:    fmt.Sprintf("Lesson back on: %s, %s", title, when),
			Paragraphs: []string{fmt.Sprintf("%s’s %s lesson on %s was cancelled and is now back on the calendar.", f.Student, strings.ToLower(f.Instrument), when)},
			Details:    append([]letters.Detail{{Label: "When", Value: when}}, details...),
		}
		out = append(out, letter{f.Family, letters.Request, l}, letter{st.Teacher, letters.Request, l})
	}

	st.Mails = st.Mails[:0]
	for _, o := range out {
		start, end, teacher := in.Start, in.End, st.Teacher
		if o.to.Role == "former-teacher" {
			start, end, teacher = in.FormerStart, in.FormerEnd, *st.Former
		}
		inv := f.invite(st.Sender, o.method, start, end, teacher)
		inv.Created, inv.Updated, inv.Stamp = in.Created, in.Updated, in.Updated
		ics, err := inv.ICS()
		if err != nil {
			return workflows.Permanent(err)
		}
		key := "lesson-" + string(in.Change) + ":" + in.Lesson + ":" + in.version() + ":" + o.to.Role
		o.l.Greeting, o.l.Footer = greeting(o.to), footerFor(o.to)
		m, err := lessonMail(st.Sender, o.to, o.l, key, letters.InviteFileName, ics)
		if err != nil {
			return workflows.Permanent(err)
		}
		s.Mail(m)
		st.Mails = append(st.Mails, key)
	}
	return nil
}
