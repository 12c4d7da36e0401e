package notify

import (
	"fmt"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/letters"
	"cedarheights/records"
	"cedarheights/workflows"
)

// trial_confirmation.go: when a trial lesson is booked, the family and the
// teacher each get a confirmation mail (through the outbox, in parallel, on
// the academy's layout, with the lesson's .ics),
// unless the lesson is no longer a scheduled trial in the future. Started
// by a record hook on every trial lesson created, and by
// POST /api/v1/workflows/trial-confirmations (which answers with the result
// when the run finishes within a bound).

// TrialInput names the lesson to confirm.
type TrialInput struct {
	Lesson string `json:"lesson"`
}

// Validate checks the input before a run is made.
func (in TrialInput) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.Lesson, validation.Required, records.IsID))
}

type trialState struct {
	Lesson       string    `json:"lesson"`
	Problem      string    `json:"problem,omitempty"` // why no confirmation is sent
	Start        time.Time `json:"start"`
	When         string    `json:"when"` // in the academy's zone
	Student      string    `json:"student"`
	Instrument   string    `json:"instrument"`
	Teacher      string    `json:"teacher"`
	TeacherEmail string    `json:"teacher_email"`
	Family       string    `json:"family"`
	FamilyEmail  string    `json:"family_email"`
	Academy      string    `json:"academy"`
	FamilyMail   string    `json:"family_mail,omitempty"`  // outbox idempotency keys
	TeacherMail  string    `json:"teacher_mail,omitempty"` // "
	// The lesson and sender as the letters need them (a run loaded before
	// these fields existed has none: the mail nodes load them then).
	Facts  *lessonFacts `json:"facts,omitempty"`
	Sender *sender      `json:"sender,omitempty"`
}

// TrialResult is what a finished confirmation reports.
type TrialResult struct {
	Lesson    string   `json:"lesson"`
	Confirmed bool     `json:"confirmed"`
	Reason    string   `json:"reason,omitempty"`
	Mails     []string `json:"mails"`
}

// TrialConfirmation confirms a trial lesson to the family and the teacher.
var TrialConfirmation = workflows.Define("trial_confirmation", 1,
	func(in TrialInput) trialState { return trialState{Lesson: in.Lesson} },
	workflows.Task("load", loadTrial).Then("check"),
	workflows.Router("check", func(s *trialState) string {
		if s.Problem != "" {
			return "skip"
		}
		return "confirm"
	}).Branch("confirm", "mail_family", "mail_teacher").Fallback("skipped"),
	workflows.Task("mail_family", mailTrialFamily).Then("confirmed"),
	workflows.Task("mail_teacher", mailTrialTeacher).Then("confirmed"),
	workflows.Join[trialState]("confirmed"),
	workflows.Task("skipped", func(s *workflows.Step[trialState]) error { return nil }),
).Result(func(s *trialState) any {
	res := TrialResult{Lesson: s.Lesson, Confirmed: s.Problem == "", Reason: s.Problem, Mails: []string{}}
	for _, k := range []string{s.FamilyMail, s.TeacherMail} {
		if k != "" {
			res.Mails = append(res.Mails, k)
		}
	}
	return res
})

// trialForNewLesson starts a confirmation for each trial lesson created.
func trialForNewLesson(txApp core.App, lesson *core.Record) (TrialInput, workflows.StartOptions, error) {
	if lesson.GetString("kind") != "trial" || isQuiet(lesson) {
		return TrialInput{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	return TrialInput{Lesson: lesson.Id}, TrialStartOptions(txApp, lesson), nil
}

// TrialStartOptions are the options every start of a lesson's confirmation
// uses: one run per lesson, owned by the student's family.
func TrialStartOptions(app core.App, lesson *core.Record) workflows.StartOptions {
	opts := workflows.StartOptions{IdempotencyKey: "trial_confirmation:" + lesson.Id, Subject: "lessons:" + lesson.Id}
	if student, err := app.FindRecordById("students", lesson.GetString("student")); err == nil {
		opts.Owner = student.GetString("parent")
	}
	return opts
}

func loadTrial(s *workflows.Step[trialState]) error {
	app, st := s.App(), s.State
	lesson, err := app.FindRecordById("lessons", st.Lesson)
	if err != nil {
		st.Problem = "the lesson does not exist"
		return nil
	}
	if errs := app.ExpandRecord(lesson, []string{"student.parent", "teacher.user", "instrument"}, nil); len(errs) > 0 {
		return fmt.Errorf("load lesson %s: %v", st.Lesson, errs)
	}
	student := lesson.ExpandedOne("student")
	teacher := lesson.ExpandedOne("teacher")
	if student == nil || teacher == nil || student.ExpandedOne("parent") == nil || teacher.ExpandedOne("user") == nil {
		return fmt.Errorf("lesson %s: student, family or teacher missing", st.Lesson)
	}
	settings, err := academy.Load(app)
	if err != nil {
		return err
	}
	parent, teacherUser := student.ExpandedOne("parent"), teacher.ExpandedOne("user")
	st.Start = lesson.GetDateTime("start").Time()
	st.When = st.Start.In(settings.Zone).Format("Monday 2 January 2006 at 15:04 (MST)")
	st.Student = student.GetString("first_name")
	if i := lesson.ExpandedOne("instrument"); i != nil {
		st.Instrument = i.GetString("name")
	}
	st.Teacher, st.TeacherEmail = teacher.GetString("display_name"), teacherUser.Email()
	st.Family, st.FamilyEmail = parent.GetString("name"), parent.Email()
	st.Academy = settings.Name
	facts, err := lessonFactsOf(app, lesson)
	if err != nil {
		return err
	}
	snd, err := loadSender(app)
	if err != nil {
		return err
	}
	st.Facts, st.Sender = &facts, &snd
	switch {
	case lesson.GetString("kind") != "trial":
		st.Problem = "the lesson is not a trial lesson"
	case lesson.GetString("status") != "scheduled":
		st.Problem = "the lesson is " + lesson.GetString("status")
	case !st.Start.After(time.Now()):
		st.Problem = "the lesson has already started"
	}
	return nil
}

func mailTrialFamily(s *workflows.Step[trialState]) error {
	st := s.State
	st.FamilyMail = "trial-confirmation:" + st.Lesson + ":family"
	return mailTrial(s, "family", st.FamilyMail, letters.Letter{
		Subject:    fmt.Sprintf("Your trial %s lesson on %s", st.Instrument, st.When),
		Paragraphs: []string{fmt.Sprintf("%s’s trial %s lesson with %s is booked for %s.", st.Student, st.Instrument, st.Teacher, st.When), "We look forward to meeting you."},
	})
}

func mailTrialTeacher(s *workflows.Step[trialState]) error {
	st := s.State
	st.TeacherMail = "trial-confirmation:" + st.Lesson + ":teacher"
	return mailTrial(s, "teacher", st.TeacherMail, letters.Letter{
		Subject:    fmt.Sprintf("Trial lesson: %s, %s", st.Student, st.When),
		Paragraphs: []string{fmt.Sprintf("A trial %s lesson with %s is booked for %s.", st.Instrument, st.Student, st.When)},
	})
}

// mailTrial puts the letter on the layout with the lesson's invite.
func mailTrial(s *workflows.Step[trialState], role, key string, l letters.Letter) error {
	st := s.State
	if st.Facts == nil || st.Sender == nil { // a run loaded by the previous release
		facts, found, err := loadLessonFacts(s.App(), st.Lesson)
		if err != nil || !found {
			return fmt.Errorf("lesson %s: %v (found %v)", st.Lesson, err, found)
		}
		snd, err := loadSender(s.App())
		if err != nil {
			return err
		}
		st.Facts, st.Sender = &facts, &snd
	}
	f, snd := *st.Facts, *st.Sender
	to := f.Family
	if role == "teacher" {
		to = f.Teacher
	}
	l.Greeting, l.Footer = greeting(to), footerFor(to)
	l.Details = []letters.Detail{{Label: "When", Value: snd.when(f.Start, f.End)}, {Label: "Student", Value: f.Student},
		{Label: "Instrument", Value: f.Instrument}, {Label: "Teacher", Value: f.Teacher.Name}}
	if f.Room != "" {
		l.Details = append(l.Details, letters.Detail{Label: "Room", Value: f.Room})
	}
	ics, err := f.invite(snd, letters.Request, f.Start, f.End, f.Teacher).ICS()
	if err != nil {
		return workflows.Permanent(err)
	}
	m, err := lessonMail(snd, to, l, key, letters.InviteFileName, ics)
	if err != nil {
		return workflows.Permanent(err)
	}
	s.Mail(m)
	return nil
}
