package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/letters"
	"cedarheights/records"
	"cedarheights/workflows"
)

// booking_confirmation.go: a lesson booked (a regular lesson, a weekly
// series, a make-up) is confirmed to the family and the teacher, each by
// one mail with the lesson's .ics. Trials have their own confirmation
// (trial_confirmation.go). A series is confirmed once, not per lesson: every
// lesson of it created starts the same run (its key names the series), and
// the run lists every scheduled date of the series, with one .ics holding
// every lesson (letters.SeriesICS: METHOD:PUBLISH, a UID per lesson).
//
// Started by a record trigger in the transaction that creates the lesson,
// on every path (record API, batch, /api/v1, admin UI, Go), so a booking and
// its confirmation commit together.

// SeriesSettle is how long a series confirmation waits after the series'
// first lesson is created before it reads the series. The /api/v1 route
// and batch requests create a series in one transaction, which the run only
// sees whole; a client creating the lessons one request at a time has this
// long to finish. Tests shorten it.
var SeriesSettle = 30 * time.Second

// BookingInput names the lesson created, and its series if it has one.
type BookingInput struct {
	Lesson string `json:"lesson"`
	Series string `json:"series,omitempty"`
	// NotBefore is when the confirmation reads the lesson (or series).
	NotBefore time.Time `json:"not_before,omitzero"`
}

var seriesID = records.IDPattern

// Validate checks the input before a run is made.
func (in BookingInput) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.Lesson, validation.Required, records.IsID),
		validation.Field(&in.Series, validation.Match(seriesID).Error("Must be a series id.")),
	)
}

type bookingState struct {
	In      BookingInput  `json:"in"`
	Problem string        `json:"problem,omitempty"` // why nothing is sent
	Sender  sender        `json:"sender"`
	Lessons []lessonFacts `json:"lessons"` // the lesson, or the series' scheduled lessons by start
	// The outbox keys, one field per parallel branch (branches merge by
	// top-level field).
	FamilyMail  string `json:"family_mail,omitempty"`
	TeacherMail string `json:"teacher_mail,omitempty"`
}

// BookingResult is what a finished confirmation reports.
type BookingResult struct {
	Lesson    string   `json:"lesson"`
	Series    string   `json:"series,omitempty"`
	Lessons   int      `json:"lessons"`
	Confirmed bool     `json:"confirmed"`
	Reason    string   `json:"reason,omitempty"`
	Mails     []string `json:"mails"`
}

// BookingConfirmation confirms a lesson, a series or a make-up booked.
var BookingConfirmation = workflows.Define("booking_confirmation", 1,
	func(in BookingInput) bookingState { return bookingState{In: in} },
	workflows.Sleep("settle", func(s *bookingState) time.Time { return s.In.NotBefore }).Then("load"),
	workflows.Task("load", loadBooking).Then("check"),
	workflows.Router("check", func(s *bookingState) string {
		if s.Problem != "" {
			return "skip"
		}
		return "confirm"
	}).Branch("confirm", "mail_family", "mail_teacher").Fallback("skipped"),
	workflows.Task("mail_family", func(s *workflows.Step[bookingState]) error { return mailBooking(s, "family") }).Then("confirmed"),
	workflows.Task("mail_teacher", func(s *workflows.Step[bookingState]) error { return mailBooking(s, "teacher") }).Then("confirmed"),
	workflows.Join[bookingState]("confirmed"),
	workflows.Task("skipped", func(s *workflows.Step[bookingState]) error { return nil }),
).Result(func(s *bookingState) any {
	return BookingResult{Lesson: s.In.Lesson, Series: s.In.Series, Lessons: len(s.Lessons),
		Confirmed: s.Problem == "", Reason: s.Problem, Mails: mailKeys(s.FamilyMail, s.TeacherMail)}
})

// bookingForNewLesson starts a confirmation for each lesson booked ahead:
// one run per lesson, or per series.
func bookingForNewLesson(_ core.App, lesson *core.Record) (BookingInput, workflows.StartOptions, error) {
	switch {
	case isQuiet(lesson),
		lesson.GetString("kind") == "trial",       // trial_confirmation.go
		lesson.GetString("status") != "scheduled", // back-filled attendance, a cancelled record
		!lesson.GetDateTime("start").Time().After(time.Now()):
		return BookingInput{}, workflows.StartOptions{}, workflows.ErrSkip
	}
	in := BookingInput{Lesson: lesson.Id}
	opts := workflows.StartOptions{IdempotencyKey: "booking_confirmation:lesson:" + lesson.Id, Subject: "lessons:" + lesson.Id}
	if series := lesson.GetString("series"); series != "" {
		in.Series, in.NotBefore = series, time.Now().Add(SeriesSettle).UTC()
		opts.IdempotencyKey = "booking_confirmation:series:" + series
	}
	return in, opts, nil
}

func loadBooking(s *workflows.Step[bookingState]) error {
	app, st := s.App(), s.State
	snd, err := loadSender(app)
	if err != nil {
		return err
	}
	st.Sender = snd
	var records []*core.Record
	if st.In.Series != "" {
		records, err = app.FindRecordsByFilter("lessons", "series = {:series} && status = 'scheduled' && start > {:now}",
			"start", letters.MaxSeriesInvites, 0, dbx.Params{"series": st.In.Series, "now": dbTime(time.Now())})
		if err != nil {
			return err
		}
	} else if lesson, err := app.FindRecordById("lessons", st.In.Lesson); err == nil {
		records = []*core.Record{lesson}
	}
	if len(records) == 0 {
		st.Problem = "the lesson is no longer scheduled"
		return nil
	}
	st.Lessons = st.Lessons[:0]
	for _, r := range records {
		f, err := lessonFactsOf(app, r)
		if err != nil {
			return err
		}
		st.Lessons = append(st.Lessons, f)
	}
	first := st.Lessons[0]
	switch {
	case first.Status != "scheduled":
		st.Problem = "the lesson is " + first.Status
	case !first.Start.After(time.Now()):
		st.Problem = "the lesson has already started"
	}
	return nil
}

func mailBooking(s *workflows.Step[bookingState], role string) error {
	st := s.State
	first := st.Lessons[0]
	to := first.Family
	if role == "teacher" {
		to = first.Teacher
	}
	var (
		l        letters.Letter
		key      string
		file     = letters.InviteFileName
		ics      []byte
		err      error
		when     = st.Sender.when(first.Start, first.End)
		isSeries = st.In.Series != ""
	)
	details := []letters.Detail{{Label: "Student", Value: first.Student}, {Label: "Instrument", Value: first.Instrument}, {Label: "Teacher", Value: first.Teacher.Name}}
	if first.Room != "" {
		details = append(details, letters.Detail{Label: "Room", Value: first.Room})
	}
	switch {
	case isSeries:
		key = "series-confirmation:" + st.In.Series + ":" + role
		dates := make([]string, len(st.Lessons))
		invites := make([]letters.Invite, len(st.Lessons))
		for i, f := range st.Lessons {
			dates[i] = st.Sender.when(f.Start, f.End)
			invites[i] = f.invite(st.Sender, letters.Request, f.Start, f.End, f.Teacher)
		}
		l = letters.Letter{
			Subject: fmt.Sprintf("Weekly %s lessons booked: %s, %d lessons from %s", strings.ToLower(first.Instrument), first.Student,
				len(dates), first.Start.In(st.Sender.zone()).Format("Monday 2 January")),
			Paragraphs: []string{
				fmt.Sprintf("%s’s weekly %s lessons with %s are booked: %d lessons, on these dates:", first.Student,
					strings.ToLower(first.Instrument), first.Teacher.Name, len(dates)),
				strings.Join(dates, "\n"),
				"The attached calendar file holds every lesson; open it to add them to your calendar. If a lesson moves or is cancelled, you will get a mail that updates it.",
			},
		}
		file = letters.SeriesFileName
		ics, err = letters.SeriesICS(invites)
	case first.Kind == "makeup":
		key = "makeup-booked:" + first.Lesson + ":" + role
		l = letters.Letter{
			Subject:    fmt.Sprintf("Make-up lesson booked: %s, %s", first.Student, when),
			Paragraphs: []string{fmt.Sprintf("A make-up %s lesson for %s with %s is booked for %s.", strings.ToLower(first.Instrument), first.Student, first.Teacher.Name, when)},
		}
		details = append([]letters.Detail{{Label: "When", Value: when}}, details...)
		ics, err = first.invite(st.Sender, letters.Request, first.Start, first.End, first.Teacher).ICS()
	default:
		key = "lesson-confirmation:" + first.Lesson + ":" + role
		l = letters.Letter{
			Subject:    fmt.Sprintf("Lesson booked: %s, %s", first.title(), when),
			Paragraphs: []string{fmt.Sprintf("%s’s %s lesson with %s is booked for %s.", first.Student, strings.ToLower(first.Instrument), first.Teacher.Name, when)},
		}
		details = append([]letters.Detail{{Label: "When", Value: when}}, details...)
		ics, err = first.invite(st.Sender, letters.Request, first.Start, first.End, first.Teacher).ICS()
	}
	if err != nil {
		return workflows.Permanent(err)
	}
	l.Greeting, l.Details, l.Footer = greeting(to), details, footerFor(to)
	m, err := lessonMail(st.Sender, to, l, key, file, ics)
	if err != nil {
		return workflows.Permanent(err)
	}
	s.Mail(m)
	if role == "teacher" {
		st.TeacherMail = key
	} else {
		st.FamilyMail = key
	}
	return nil
}
