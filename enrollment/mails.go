package enrollment

import (
	"fmt"
	"html"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/letters"
	"cedarheights/workflows"
)

// mails.go: every message of the enrollment goes through the outbox, once
// per run and recipient (the outbox key names both).

// verificationMail is PocketBase's own confirmation message for the
// account (the users collection's template, so an admin's edits apply),
// sent through the outbox instead of straight to SMTP.
func verificationMail(app core.App, user *core.Record, key string) (workflows.Mail, error) {
	token, err := user.NewVerificationToken()
	if err != nil {
		return workflows.Mail{}, err
	}
	meta := app.Settings().Meta
	placeholders := map[string]any{
		core.EmailPlaceholderAppName: meta.AppName,
		core.EmailPlaceholderAppURL:  meta.AppURL,
		core.EmailPlaceholderToken:   token,
		"{RECORD:name}":              html.EscapeString(user.GetString("name")),
		"{RECORD:email}":             html.EscapeString(user.Email()),
		"{RECORD:id}":                user.Id,
	}
	subject, body := user.Collection().VerificationTemplate.Resolve(placeholders)
	link := strings.TrimRight(meta.AppURL, "/") + "/_/#/auth/confirm-verification/" + token
	text := fmt.Sprintf("Hello %s,\n\nPlease confirm your e-mail address to complete the enrollment:\n%s\n\n%s", user.GetString("name"), link, meta.AppName)
	return workflows.Mail{To: []string{user.Email()}, Subject: subject, HTML: body, Text: text, IdempotencyKey: key}, nil
}

func greeting(name string) string {
	if name == "" {
		return "Hello,"
	}
	return "Hello " + name + ","
}

// failureMail tells the family, in plain words and in the academy's
// layout, that the enrollment did not go through and why.
func failureMail(app core.App, st *state, why, key string) (workflows.Mail, error) {
	layout, err := letters.LoadLayout(app)
	if err != nil {
		return workflows.Mail{}, err
	}
	student := st.In.Student.FirstName
	r, err := layout.Render(letters.Letter{
		Subject:  fmt.Sprintf("%s's enrollment could not be completed", student),
		Greeting: greeting(st.ParentName),
		Paragraphs: []string{
			fmt.Sprintf("We are sorry: %s's enrollment for %s lessons could not be completed, because %s.", student, st.Instrument, why),
			"Nothing has been charged and no lesson is booked. You are welcome to try again, or reply to this mail and we will help.",
		},
		Footer: "You get this mail because you asked to enroll " + student + " with us.",
	})
	if err != nil {
		return workflows.Mail{}, workflows.Permanent(err)
	}
	return workflows.Mail{To: []string{st.ParentEmail}, Subject: r.Subject, HTML: r.HTML, Text: r.Text, IdempotencyKey: key}, nil
}

// welcomeNode welcomes the family and tells the teacher and every admin,
// one message per recipient, in the academy's layout; the family's and the
// teacher's carry the trial lesson as a calendar invite (METHOD:REQUEST,
// the lesson's stable UID, so a later change or cancellation updates it).
func welcomeNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	layout, err := letters.LoadLayout(app)
	if err != nil {
		return err
	}
	lesson, err := app.FindRecordById("lessons", st.Lesson)
	if err != nil {
		return err
	}
	meta := app.Settings().Meta
	invite := letters.Invite{
		Method: letters.Request, LessonID: lesson.Id, Start: lesson.GetDateTime("start").Time(), End: lesson.GetDateTime("end").Time(),
		Summary:   fmt.Sprintf("%s trial lesson: %s with %s", st.Instrument, st.In.Student.FirstName, st.TeacherName),
		Organizer: letters.Person{Name: meta.SenderName, Email: meta.SenderAddress},
		Attendees: []letters.Person{{Name: st.ParentName, Email: st.ParentEmail}},
		Created:   lesson.GetDateTime("created").Time(), Updated: lesson.GetDateTime("updated").Time(),
	}
	if st.TeacherEmail != "" {
		invite.Attendees = append(invite.Attendees, letters.Person{Name: st.TeacherName, Email: st.TeacherEmail})
	}
	ics, err := invite.ICS()
	if err != nil {
		return workflows.Permanent(err)
	}
	attach := []workflows.Attachment{{Name: letters.InviteFileName, Content: ics}}

	student := st.In.Student.FirstName + " " + st.In.Student.LastName
	weekly := fmt.Sprintf("%ss at %s", weekdayName(st.Weekday), st.StartTime)
	payment := "Our office will be in touch about paying for the lessons."
	if st.Payment != "offline" {
		payment = "Nothing is charged before the trial lesson; your plan starts the day after it."
	}
	details := []letters.Detail{{Label: "Trial lesson", Value: st.When}, {Label: "Teacher", Value: st.TeacherName},
		{Label: "Then", Value: weekly}, {Label: "Plan", Value: st.PlanName}}
	key := func(who string) string { return "enrollment:" + st.Enrollment + ":welcome:" + who }
	type letter struct {
		to     string
		key    string
		attach []workflows.Attachment
		l      letters.Letter
	}
	list := []letter{{st.ParentEmail, key("family"), attach, letters.Letter{
		Subject:    fmt.Sprintf("Welcome! %s's trial %s lesson is on %s", st.In.Student.FirstName, st.Instrument, st.When),
		Greeting:   greeting(st.ParentName),
		Paragraphs: []string{fmt.Sprintf("%s is enrolled for %s lessons with %s. The trial lesson is in the attached invite; after it, lessons are on %s.", student, st.Instrument, st.TeacherName, weekly), payment, "We look forward to meeting you."},
		Details:    details, Footer: "You get this mail because you enrolled " + st.In.Student.FirstName + " with us.",
	}}}
	if st.TeacherEmail != "" {
		list = append(list, letter{st.TeacherEmail, key("teacher"), attach, letters.Letter{
			Subject:    fmt.Sprintf("New student: %s, trial on %s", student, st.When),
			Greeting:   greeting(st.TeacherName),
			Paragraphs: []string{fmt.Sprintf("%s (%s) is enrolled with you; the trial lesson is in the attached invite.", student, st.Instrument)},
			Details:    details, Footer: "You get this mail because the student was placed with you.",
		}})
	}
	admins, err := app.FindAllRecords("users", dbxRole("admin"))
	if err != nil {
		return err
	}
	for _, a := range admins {
		list = append(list, letter{a.Email(), key(a.Id), nil, letters.Letter{
			Subject:    fmt.Sprintf("Enrollment: %s with %s (%s)", student, st.TeacherName, st.In.Source),
			Paragraphs: []string{fmt.Sprintf("%s is enrolled for %s. Family: %s <%s>. Payment: %s.", student, st.Instrument, st.ParentName, st.ParentEmail, st.Payment)},
			Details:    details, Footer: "You get this mail as an admin of the academy.",
		}})
	}
	st.Mails = nil
	for _, l := range list {
		r, err := layout.Render(l.l)
		if err != nil {
			return workflows.Permanent(err)
		}
		st.Mails = append(st.Mails, l.key)
		s.Mail(workflows.Mail{To: []string{l.to}, Subject: r.Subject, HTML: r.HTML, Text: r.Text, Attachments: l.attach, IdempotencyKey: l.key})
	}
	return nil
}

func weekdayName(d int) string {
	return []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}[((d%7)+7)%7]
}
