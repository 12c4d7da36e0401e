package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/letters"
	"cedarheights/workflows"
)

// lesson_facts.go: what every mail about a lesson needs, read once by a
// run's load node into its state (so a retried mail node renders the same
// letter), and the one way such a mail is put together: a letter on the
// academy's layout, addressed to one person, with the lesson's .ics.

// person is one recipient: "family" or "teacher" (the role names the
// outbox key, so each person gets each message once).
type person struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// lessonFacts is one lesson as a mail tells it.
type lessonFacts struct {
	Lesson     string    `json:"lesson"`
	Series     string    `json:"series,omitempty"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Student    string    `json:"student"`
	Instrument string    `json:"instrument"`
	Room       string    `json:"room,omitempty"`
	Teacher    person    `json:"teacher"`
	Family     person    `json:"family"`
}

// sender is who a lesson's invites come from (the academy's mail
// settings) and the name its letters carry.
type sender struct {
	Academy string         `json:"academy"`
	Zone    string         `json:"zone"`
	From    letters.Person `json:"from"`
}

func loadSender(app core.App) (sender, error) {
	settings, err := academy.Load(app)
	if err != nil {
		return sender{}, err
	}
	meta := app.Settings().Meta
	return sender{Academy: settings.Name, Zone: settings.Zone.String(),
		From: letters.Person{Name: meta.SenderName, Email: meta.SenderAddress}}, nil
}

// loadLessonFacts reads a lesson with its student, family, teacher and
// instrument; found is false when the lesson no longer exists.
func loadLessonFacts(app core.App, id string) (lessonFacts, bool, error) {
	lesson, err := app.FindRecordById("lessons", id)
	if err != nil {
		return lessonFacts{}, false, nil
	}
	f, err := lessonFactsOf(app, lesson)
	return f, err == nil, err
}

func lessonFactsOf(app core.App, lesson *core.Record) (lessonFacts, error) {
	if errs := app.ExpandRecord(lesson, []string{"student.parent", "teacher.user", "instrument", "room"}, nil); len(errs) > 0 {
		return lessonFacts{}, fmt.Errorf("load lesson %s: %v", lesson.Id, errs)
	}
	student, teacher := lesson.ExpandedOne("student"), lesson.ExpandedOne("teacher")
	if student == nil || teacher == nil || student.ExpandedOne("parent") == nil || teacher.ExpandedOne("user") == nil {
		return lessonFacts{}, fmt.Errorf("lesson %s: student, family or teacher missing", lesson.Id)
	}
	parent, teacherUser := student.ExpandedOne("parent"), teacher.ExpandedOne("user")
	f := lessonFacts{
		Lesson: lesson.Id, Series: lesson.GetString("series"),
		Kind: lesson.GetString("kind"), Status: lesson.GetString("status"),
		Start: lesson.GetDateTime("start").Time(), End: lesson.GetDateTime("end").Time(),
		Created: lesson.GetDateTime("created").Time(), Updated: lesson.GetDateTime("updated").Time(),
		Student: student.GetString("first_name"),
		Teacher: person{Role: "teacher", Name: teacher.GetString("display_name"), Email: teacherUser.Email()},
		Family:  person{Role: "family", Name: parent.GetString("name"), Email: parent.Email()},
	}
	if i := lesson.ExpandedOne("instrument"); i != nil {
		f.Instrument = i.GetString("name")
	}
	if r := lesson.ExpandedOne("room"); r != nil {
		f.Room = r.GetString("name")
	}
	return f, nil
}

// teacherPerson reads a teacher (teachers id) as a recipient.
func teacherPerson(app core.App, id string) (person, error) {
	teacher, err := app.FindRecordById("teachers", id)
	if err != nil {
		return person{}, err
	}
	user, err := app.FindRecordById("users", teacher.GetString("user"))
	if err != nil {
		return person{}, err
	}
	return person{Role: "teacher", Name: teacher.GetString("display_name"), Email: user.Email()}, nil
}

// zone is the academy's time zone (UTC if the name no longer loads).
func (s sender) zone() *time.Location {
	if z, err := time.LoadLocation(s.Zone); err == nil {
		return z
	}
	return time.UTC
}

// when is a lesson's start and end in the academy's zone:
// "Monday 12 January 2026, 16:00–16:30 (PST)".
func (s sender) when(start, end time.Time) string {
	z := s.zone()
	return start.In(z).Format("Monday 2 January 2006, 15:04") + "–" + end.In(z).Format("15:04 (MST)")
}

// title names a lesson in a subject: "Amy’s piano lesson".
func (f lessonFacts) title() string {
	return f.Student + "’s " + strings.ToLower(f.Instrument) + " lesson"
}

// invite is the lesson as an .ics event for its two recipients.
func (f lessonFacts) invite(s sender, method letters.Method, start, end time.Time, teacher person) letters.Invite {
	summary := f.Instrument + " lesson: " + f.Student + " with " + teacher.Name
	return letters.Invite{
		Method: method, LessonID: f.Lesson, Start: start, End: end,
		Summary: strings.TrimSpace(summary), Location: f.Room,
		Organizer: s.From,
		Attendees: []letters.Person{{Name: f.Family.Name, Email: f.Family.Email}, {Name: teacher.Name, Email: teacher.Email}},
		Created:   f.Created, Updated: f.Updated, Stamp: f.Updated,
	}
}

// greeting opens a letter to p.
func greeting(p person) string {
	if p.Name == "" {
		return "Hello,"
	}
	return "Hello " + p.Name + ","
}

// lessonMail renders l on the academy's layout for p, with an .ics
// attachment when ics is given, under the outbox key.
func lessonMail(s sender, p person, l letters.Letter, key, icsName string, ics []byte) (workflows.Mail, error) {
	r, err := letters.Layout{Academy: s.Academy}.Render(l)
	if err != nil {
		return workflows.Mail{}, err
	}
	m := workflows.Mail{To: []string{p.Email}, Subject: r.Subject, HTML: r.HTML, Text: r.Text, IdempotencyKey: key}
	if len(ics) > 0 {
		m.Attachments = []workflows.Attachment{{Name: icsName, Content: ics}}
	}
	return m, nil
}

// footerFor says why p gets the mail.
func footerFor(p person) string {
	if p.Role == "family" {
		return "You receive this because your family’s lessons are booked with us."
	}
	return "You receive this because you teach this lesson."
}

// mailKeys lists the keys that are set.
func mailKeys(keys ...string) []string {
	out := []string{}
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// quietKey marks a lesson record, in memory only, as written without mail.
const quietKey = "@notify_quiet"

// Quietly marks a lesson record so that saving it tells no one: for Go
// code that imports an existing schedule (the demo loader), where a
// booking confirmation per lesson would be a flood of mail about nothing
// new. The mark is not stored; it holds for saves of this record value.
func Quietly(lesson *core.Record) { lesson.Set(quietKey, true) }

func isQuiet(lesson *core.Record) bool { return lesson.GetBool(quietKey) }
