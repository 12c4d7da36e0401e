package enrollment

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// compensate.go: what a failed run undoes, latest first. Each is safe to
// run again: it looks at what exists before it changes anything.

// releaseHold deletes the trial lesson the run held (deleted, not
// cancelled: it never happened, so it earns no make-up credit) and marks
// the enrollment failed with the reason.
func releaseHold(s *workflows.Step[state]) error {
	st := s.State
	why := failureReason(s.App(), s.RunID())
	s.Write(func(tx core.App) error {
		if st.Lesson != "" {
			if l, err := findRecord(tx, "lessons", st.Lesson); err != nil {
				return err
			} else if l != nil {
				if err := tx.Delete(l); err != nil {
					return err
				}
			}
		}
		if st.Enrollment == "" {
			return nil
		}
		enr, err := findRecord(tx, "enrollments", st.Enrollment)
		if err != nil || enr == nil {
			return err
		}
		enr.Set("status", "failed")
		enr.Set("failure_reason", why)
		return tx.Save(enr)
	})
	return nil
}

// forgetFamily tells the family why the enrollment failed, then removes
// the student and the new account made for it when nothing else refers to
// them (a failed enrollment keeps both: the family sees it).
func forgetFamily(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	why := failureReason(app, s.RunID())
	if st.ParentEmail != "" {
		mail, err := failureMail(app, st, why, "enrollment:"+s.RunID()+":failed")
		if err != nil {
			return err
		}
		s.Mail(mail)
	}
	s.Write(func(tx core.App) error {
		if st.Enrollment != "" {
			return nil
		}
		if st.CreatedStudent && st.Student != "" {
			if n, err := tx.CountRecords("enrollments", dbx.HashExp{"student": st.Student}); err != nil || n > 0 {
				return err
			}
			if n, err := tx.CountRecords("lessons", dbx.HashExp{"student": st.Student}); err != nil || n > 0 {
				return err
			}
			if rec, err := findRecord(tx, "students", st.Student); err != nil {
				return err
			} else if rec != nil {
				if err := tx.Delete(rec); err != nil {
					return err
				}
			}
		}
		if !st.In.Parent.NewAccount || st.Parent == "" {
			return nil
		}
		user, err := findRecord(tx, "users", st.Parent)
		if err != nil || user == nil || user.Verified() {
			return err
		}
		if n, err := tx.CountRecords("students", dbx.HashExp{"parent": user.Id}); err != nil || n > 0 {
			return err
		}
		return tx.Delete(user)
	})
	return nil
}

// failureReason reads why the run failed from its error ("node x: why").
func failureReason(app core.App, runID string) string {
	run, err := workflows.Get(app, runID)
	if err != nil || run.Error == "" {
		return "the enrollment could not be completed"
	}
	msg := run.Error
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "node ") && i > 0 {
		msg = msg[i+2:]
	}
	return msg
}
