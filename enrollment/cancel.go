package enrollment

import (
	"errors"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/letters"
	"cedarheights/workflows"
)

// cancel.go: an admin cancels an enrollment, in a run of its own (one per
// enrollment): stop its enrollment run if it is still going, cancel the
// subscription at once, delete the trial lesson if it is still ahead,
// mark the enrollment cancelled with the reason and tell the family.

// CancelInput names the enrollment and why it is cancelled.
type CancelInput struct {
	Enrollment string `json:"enrollment"`
	Reason     string `json:"reason,omitempty"`
}

// Validate checks the input.
func (in CancelInput) Validate() error {
	return validation.ValidateStruct(&in,
		validation.Field(&in.Enrollment, validation.Required, isID),
		validation.Field(&in.Reason, validation.RuneLength(0, 500)))
}

type cancelState struct {
	In          CancelInput `json:"input"`
	Run         string      `json:"run"`
	Lesson      string      `json:"lesson"`
	Released    bool        `json:"released"`
	ParentEmail string      `json:"parent_email"`
	ParentName  string      `json:"parent_name"`
	Student     string      `json:"student"`
	Academy     string      `json:"academy"`
}

// Cancellation is the admin's cancel of an enrollment.
var Cancellation = workflows.Define("enrollment_cancel", 1,
	func(in CancelInput) cancelState { return cancelState{In: in} },
	workflows.Task("stop", stopEnrollmentRun).Then("unsubscribe"),
	workflows.Task("unsubscribe", func(s *workflows.Step[cancelState]) error {
		if !billing.From(s.App()).Online() {
			return nil
		}
		_, err := billing.From(s.App()).CancelSubscription(s, s.State.In.Enrollment)
		return err
	}).Then("release").Timeout(2*time.Minute),
	workflows.Task("release", releaseCancelled).Then("tell"),
	workflows.Task("tell", tellCancelled),
).Result(func(s *cancelState) any {
	return map[string]any{"enrollment": s.In.Enrollment, "status": "cancelled", "trial_released": s.Released}
})

// CancelStartOptions: one cancellation per enrollment, owned by its family.
func CancelStartOptions(app core.App, enrollment *core.Record) workflows.StartOptions {
	opts := workflows.StartOptions{IdempotencyKey: "enrollment_cancel:" + enrollment.Id, Subject: "enrollments:" + enrollment.Id}
	if student, err := app.FindRecordById("students", enrollment.GetString("student")); err == nil {
		opts.Owner = student.GetString("parent")
	}
	return opts
}

func stopEnrollmentRun(s *workflows.Step[cancelState]) error {
	st, app := s.State, s.App()
	enr, err := app.FindRecordById("enrollments", st.In.Enrollment)
	if err != nil {
		return workflows.Permanentf("enrollment %s: %v", st.In.Enrollment, err)
	}
	st.Run, st.Lesson = enr.GetString("run"), enr.GetString("trial_lesson")
	if student, err := app.FindRecordById("students", enr.GetString("student")); err == nil {
		st.Student = student.GetString("first_name")
		if parent, err := app.FindRecordById("users", student.GetString("parent")); err == nil {
			st.ParentEmail, st.ParentName = parent.Email(), parent.GetString("name")
		}
	}
	st.Academy = app.Settings().Meta.AppName
	if st.Run == "" {
		return nil
	}
	_, err = workflows.Cancel(app, st.Run, "the enrollment was cancelled by the academy")
	var stateErr *workflows.StateError
	if errors.As(err, &stateErr) || errors.Is(err, workflows.ErrNotFound) {
		return nil // it had ended already
	}
	return err
}

func releaseCancelled(s *workflows.Step[cancelState]) error {
	st := s.State
	why := "cancelled by the academy"
	if st.In.Reason != "" {
		why += ": " + st.In.Reason
	}
	now := time.Now()
	if l, err := findRecord(s.App(), "lessons", st.Lesson); err != nil {
		return err
	} else if l != nil && l.GetString("status") == "scheduled" && l.GetDateTime("start").Time().After(now) {
		st.Released = true
	}
	s.Write(func(tx core.App) error {
		if st.Released {
			if l, err := findRecord(tx, "lessons", st.Lesson); err != nil {
				return err
			} else if l != nil {
				if err := tx.Delete(l); err != nil {
					return err
				}
			}
		}
		enr, err := tx.FindRecordById("enrollments", st.In.Enrollment)
		if err != nil {
			return err
		}
		enr.Set("status", "cancelled")
		enr.Set("failure_reason", why)
		return tx.Save(enr)
	})
	return nil
}

func tellCancelled(s *workflows.Step[cancelState]) error {
	st := s.State
	if st.ParentEmail == "" {
		return nil
	}
	layout, err := letters.LoadLayout(s.App())
	if err != nil {
		return err
	}
	paragraphs := []string{st.Student + "'s enrollment has been cancelled by the academy."}
	if st.In.Reason != "" {
		paragraphs = append(paragraphs, "The reason: "+st.In.Reason+".")
	}
	if st.Released {
		paragraphs = append(paragraphs, "The trial lesson is no longer booked.")
	}
	paragraphs = append(paragraphs, "Nothing more will be charged for it. If this is not what you expected, please reply to this mail.")
	r, err := layout.Render(letters.Letter{
		Subject: st.Student + "'s enrollment is cancelled", Greeting: greeting(st.ParentName), Paragraphs: paragraphs,
		Footer: "You get this mail because " + st.Student + " was enrolled with us.",
	})
	if err != nil {
		return workflows.Permanent(err)
	}
	s.Mail(workflows.Mail{To: []string{st.ParentEmail}, Subject: r.Subject, HTML: r.HTML, Text: r.Text,
		IdempotencyKey: "enrollment:" + st.In.Enrollment + ":cancelled"})
	return nil
}
