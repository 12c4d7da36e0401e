package enrollment

import (
	"fmt"
	"html"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// mails.go: every message of the enrollment goes through the outbox, once
// per run and recipient (the outbox key names both). Plain text for now;
// the academy's mail layout and the trial's .ics come with letters/.

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

// failureMail tells the family, in plain words, that the enrollment did
// not go through and why.
func failureMail(st *state, why, key string) workflows.Mail {
	student := st.In.Student.FirstName
	text := fmt.Sprintf("%s\n\nWe are sorry: %s's enrollment for %s lessons could not be completed, because %s.\n"+
		"Nothing has been charged and no lesson is booked. You are welcome to try again, or reply to this mail and we will help.\n\n%s",
		greeting(st.ParentName), student, st.Instrument, why, academyName(st))
	return workflows.Mail{To: []string{st.ParentEmail}, Subject: fmt.Sprintf("%s's enrollment could not be completed", student), Text: text, IdempotencyKey: key}
}

func academyName(st *state) string {
	if st.Academy == "" {
		return "The music academy"
	}
	return st.Academy
}

// welcomeNode welcomes the family and tells the teacher and every admin,
// one message per recipient.
func welcomeNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	student := st.In.Student.FirstName + " " + st.In.Student.LastName
	weekly := fmt.Sprintf("%ss at %s", weekdayName(st.Weekday), st.StartTime)
	payment := "Payment: our office will be in touch about paying for the lessons."
	if st.Payment != "offline" {
		payment = "Payment: nothing is charged before the trial lesson; your plan starts the day after it."
	}
	key := func(who string) string { return "enrollment:" + st.Enrollment + ":welcome:" + who }
	mails := []workflows.Mail{{
		To:      []string{st.ParentEmail},
		Subject: fmt.Sprintf("Welcome! %s's trial %s lesson is on %s", st.In.Student.FirstName, st.Instrument, st.When),
		Text: fmt.Sprintf("%s\n\n%s is enrolled for %s lessons (%s) with %s.\nThe trial lesson is on %s; after it, lessons are on %s.\n%s\n\nWe look forward to meeting you.\n%s",
			greeting(st.ParentName), student, st.Instrument, st.PlanName, st.TeacherName, st.When, weekly, payment, academyName(st)),
		IdempotencyKey: key("family"),
	}}
	if st.TeacherEmail != "" {
		mails = append(mails, workflows.Mail{
			To:             []string{st.TeacherEmail},
			Subject:        fmt.Sprintf("New student: %s, trial on %s", student, st.When),
			Text:           fmt.Sprintf("%s\n\n%s (%s) is enrolled with you; the trial lesson is on %s, then %s.\n\n%s", greeting(st.TeacherName), student, st.Instrument, st.When, weekly, academyName(st)),
			IdempotencyKey: key("teacher"),
		})
	}
	admins, err := app.FindAllRecords("users", dbxRole("admin"))
	if err != nil {
		return err
	}
	for _, a := range admins {
		mails = append(mails, workflows.Mail{
			To:             []string{a.Email()},
			Subject:        fmt.Sprintf("Enrollment: %s with %s (%s)", student, st.TeacherName, st.In.Source),
			Text:           fmt.Sprintf("%s is enrolled for %s with %s, plan %s. Trial on %s, then %s. Family: %s <%s>. Payment: %s.", student, st.Instrument, st.TeacherName, st.PlanName, st.When, weekly, st.ParentName, st.ParentEmail, st.Payment),
			IdempotencyKey: key(a.Id),
		})
	}
	st.Mails = nil
	for _, m := range mails {
		st.Mails = append(st.Mails, m.IdempotencyKey)
		s.Mail(m)
	}
	return nil
}

func weekdayName(d int) string {
	return []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}[((d%7)+7)%7]
}
