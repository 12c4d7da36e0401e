package enrollment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/lessons"
	"cedarheights/workflows"
)

// nodes.go: the forward nodes. Each reads first and queues its writes with
// Step.Write, which commit with the node's checkpoint: a node that crashed
// before it left nothing; one that committed never runs again. Records a
// node creates get their ids in the state before the write, so a retry
// creates the same record, not a second one.

func validateNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	parent, err := findRecord(app, "users", st.In.Parent.ID)
	if err != nil {
		return err
	}
	if parent != nil {
		st.Parent, st.ParentName, st.ParentEmail, st.Verified = parent.Id, parent.GetString("name"), parent.Email(), parent.Verified()
	}
	f, err := check(app, st.In, time.Now())
	var fields validation.Errors
	var taken *SlotTakenError
	switch {
	case errors.As(err, &fields):
		st.Problem = "the request cannot be accepted: " + sentence(fields)
		return nil
	case errors.As(err, &taken):
		st.Problem, st.Alternatives = "the trial slot was taken by someone else in the meantime", taken.Alternatives
		return nil
	case err != nil:
		return err
	}
	if parent == nil {
		return workflows.Permanentf("the parent's account %q does not exist", st.In.Parent.ID)
	}
	st.Academy = f.settings.Name
	st.Instrument, st.PlanName, st.Minutes = f.instrument.GetString("name"), f.plan.GetString("name"), f.minutes
	return nil
}

// accountNode finds the student by the family and the name, or creates it
// (a prospect); a parent who has not confirmed the address gets the
// confirmation mail through the outbox, once per run.
func accountNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	in := st.In.Student
	existing, err := app.FindFirstRecordByFilter("students",
		"parent = {:p} && deleted = '' && first_name = {:f} && last_name = {:l}",
		dbx.Params{"p": st.Parent, "f": strings.TrimSpace(in.FirstName), "l": strings.TrimSpace(in.LastName)})
	if err == nil {
		st.Student = existing.Id
	} else {
		col, err := app.FindCachedCollectionByNameOrId("students")
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		rec.Id = core.GenerateDefaultRandomId()
		rec.Load(map[string]any{"parent": st.Parent, "first_name": strings.TrimSpace(in.FirstName), "last_name": strings.TrimSpace(in.LastName),
			"birth_date": in.BirthDate + " 00:00:00.000Z", "instruments": []string{in.Instrument}, "level": in.Level,
			"preferred_teacher": in.PreferredTeacher, "status": "prospect"})
		st.Student, st.CreatedStudent = rec.Id, true
		s.Write(func(tx core.App) error { return tx.Save(rec) })
	}
	if !st.Verified {
		parent, err := app.FindRecordById("users", st.Parent)
		if err != nil {
			return err
		}
		m, err := verificationMail(app, parent, "enrollment:"+s.RunID()+":verify")
		if err != nil {
			return err
		}
		s.Mail(m)
	}
	return nil
}

// matchNode settles the teacher and the trial starts to try: the slot the
// family picked, or the best match's slots (an admin's teacher first).
func matchNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	f, err := check(app, st.In, time.Now())
	if err != nil {
		var fields validation.Errors
		var taken *SlotTakenError
		switch {
		case errors.As(err, &fields):
			st.Problem = "the request cannot be accepted any more: " + sentence(fields)
			return nil
		case errors.As(err, &taken):
			st.Problem, st.Alternatives = "the trial slot was taken by someone else in the meantime", taken.Alternatives
			return nil
		}
		return err
	}
	zone := f.settings.Zone
	if st.In.Trial != nil {
		st.Teacher, st.Starts = st.In.Trial.Teacher, []time.Time{st.In.Trial.Start}
		local := st.In.Trial.Start.In(zone)
		st.Weekday, st.StartTime = int(local.Weekday()), local.Format("15:04")
	} else {
		res, err := match(app, f, st.In, time.Now(), 20)
		if err != nil {
			return err
		}
		chosen := -1
		for i, m := range res.Matches {
			if st.In.Teacher == "" || m.Teacher == st.In.Teacher {
				chosen = i
				break
			}
		}
		if chosen < 0 {
			st.Problem = noTeacherSentence(res.Rejected, f)
			if st.In.Teacher != "" {
				st.Problem = "the chosen teacher cannot take the student now"
			}
			return nil
		}
		m := res.Matches[chosen]
		st.Teacher, st.Starts = m.Teacher, trialStarts(m, zone)
		st.Weekday, st.StartTime = int(m.Suggested.Weekday), m.Suggested.Start.String()
		if len(st.Starts) == 0 {
			st.Problem = "no free trial time was found in the next months"
			return nil
		}
	}
	teacher, err := app.FindRecordById("teachers", st.Teacher)
	if err != nil {
		return err
	}
	st.TeacherName = teacher.GetString("display_name")
	if user, err := app.FindRecordById("users", teacher.GetString("user")); err == nil {
		st.TeacherEmail = user.Email()
	}
	return nil
}

// holdNode books the trial lesson at the first start still free and writes
// the enrollment (pending, or pending_confirmation for a parent who has not
// confirmed the address). The lesson guard checks the slot again in the
// checkpoint's transaction: when another run took it in between, the write
// fails, the node is retried and finds the slot taken.
func holdNode(s *workflows.Step[state]) error {
	st, app := s.State, s.App()
	if st.Lesson != "" {
		return nil
	}
	f, err := check(app, Input{Parent: st.In.Parent, Student: st.In.Student, Plan: st.In.Plan, Source: st.In.Source,
		Trial: &TrialSlot{Start: time.Now().Add(time.Hour)}}, time.Now())
	if err != nil {
		var fields validation.Errors
		if errors.As(err, &fields) {
			st.Problem = "the request cannot be accepted any more: " + sentence(fields)
			return nil
		}
		return err
	}
	lessonsCol, err := app.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return err
	}
	length := time.Duration(st.Minutes) * time.Minute
	var lesson *core.Record
	for _, start := range st.Starts {
		l := core.NewRecord(lessonsCol)
		l.Load(map[string]any{"teacher": st.Teacher, "student": st.Student, "instrument": st.In.Student.Instrument,
			"start": start.UTC(), "end": start.UTC().Add(length), "kind": "trial", "status": "scheduled"})
		conflicts, err := lessons.CheckLesson(app, l)
		if err != nil {
			return err
		}
		if len(conflicts) == 0 {
			lesson = l
			break
		}
	}
	if lesson == nil {
		alts, err := alternatives(app, f, st.Teacher, st.Starts[0], st.In.Source != SourceAdmin)
		if err != nil {
			return err
		}
		st.Problem = "the trial slot was taken by someone else in the meantime"
		st.Alternatives = alts
		return nil
	}
	lesson.Id = core.GenerateDefaultRandomId()
	st.Lesson = lesson.Id
	st.TrialStart = lesson.GetDateTime("start").Time()
	st.When = st.TrialStart.In(f.settings.Zone).Format("Monday 2 January 2006 at 15:04 (MST)")

	enrollments, err := app.FindCachedCollectionByNameOrId("enrollments")
	if err != nil {
		return err
	}
	enr := core.NewRecord(enrollments)
	enr.Id = core.GenerateDefaultRandomId()
	status := "pending"
	if !st.Verified {
		status = "pending_confirmation"
	}
	enr.Load(map[string]any{"student": st.Student, "teacher": st.Teacher, "plan": st.In.Plan, "status": status,
		"weekday": st.Weekday, "start_time": st.StartTime, "start_date": st.TrialStart, "run": s.RunID(),
		"trial_lesson": lesson.Id, "source": st.In.Source})
	st.Enrollment = enr.Id
	s.Write(func(tx core.App) error {
		if err := tx.Save(lesson); err != nil {
			return err
		}
		return tx.Save(enr)
	})
	return nil
}

// confirmedNode: the address is confirmed; the enrollment waits for the
// payment setup now.
func confirmedNode(s *workflows.Step[state]) error {
	st := s.State
	st.Verified = true
	s.Write(func(tx core.App) error {
		enr, err := tx.FindRecordById("enrollments", st.Enrollment)
		if err != nil {
			return err
		}
		if enr.GetString("status") != "pending_confirmation" {
			return nil
		}
		enr.Set("status", "pending")
		return tx.Save(enr)
	})
	return nil
}

// recordNode makes the enrollment active and the student with it.
func recordNode(s *workflows.Step[state]) error {
	st := s.State
	s.Write(func(tx core.App) error {
		enr, err := tx.FindRecordById("enrollments", st.Enrollment)
		if err != nil {
			return err
		}
		if status := enr.GetString("status"); status == "pending" || status == "pending_confirmation" {
			enr.Set("status", "active")
		}
		enr.Set("failure_reason", "")
		if err := tx.Save(enr); err != nil {
			return err
		}
		student, err := tx.FindRecordById("students", st.Student)
		if err != nil {
			return err
		}
		if student.GetString("status") == "prospect" {
			student.Set("status", "active")
			return tx.Save(student)
		}
		return nil
	})
	return nil
}

// sentence joins field errors into one line for the family.
func sentence(errs validation.Errors) string {
	var parts []string
	var walk func(prefix string, e validation.Errors)
	walk = func(prefix string, e validation.Errors) {
		for k, v := range e {
			var nested validation.Errors
			if errors.As(v, &nested) {
				walk(prefix+k+".", nested)
				continue
			}
			parts = append(parts, fmt.Sprintf("%s%s: %v", prefix, k, v))
		}
	}
	walk("", errs)
	return strings.Join(parts, "; ")
}

func itoa(n int) string { return strconv.Itoa(n) }
