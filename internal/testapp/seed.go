package testapp

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// NextMonday is 16:00 UTC on the Monday at least a week ahead: the fixture
// lessons sit there (Monday 16:00 with teacher X, Wednesday 11:00 with
// teacher Y, inside their availability; the academy's zone is UTC).
func NextMonday() time.Time {
	d := time.Now().UTC().AddDate(0, 0, 7)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, time.UTC)
}

// seed writes the fixture academy. Lessons sit a week ahead so they stay in
// the future whenever the tests run. Students carry the teachers their
// lessons will give them (hooks keep the field), so seeding the lessons
// leaves no extra student updates in the audit log.
func seed(app core.App) (*Fixtures, error) {
	f := &Fixtures{}
	s := seeder{app: app}

	su := s.account(core.CollectionNameSuperusers, "owner@cedarheights.test", nil)
	f.Superuser = su
	f.Admin = s.account("users", "admin@cedarheights.test", map[string]any{"name": "Ada Admin", "role": "admin"})
	f.ParentA = s.account("users", "parent.a@cedarheights.test", map[string]any{"name": "Alice Anders", "role": "parent", "phone": "+1 604 555 0101"})
	f.ParentB = s.account("users", "parent.b@cedarheights.test", map[string]any{"name": "Bob Brown", "role": "parent"})
	f.TeacherXUser = s.account("users", "teacher.x@cedarheights.test", map[string]any{"name": "Xavier Xu", "role": "teacher"})
	f.TeacherYUser = s.account("users", "teacher.y@cedarheights.test", map[string]any{"name": "Yara Young", "role": "teacher"})
	hidden := s.account("users", "teacher.h@cedarheights.test", map[string]any{"name": "Hana Hidden", "role": "teacher"})

	f.Piano = s.record("instruments", map[string]any{"name": "Piano", "min_age": 5, "active": true})
	f.Violin = s.record("instruments", map[string]any{"name": "Violin", "min_age": 4, "active": true})
	f.Theremin = s.record("instruments", map[string]any{"name": "Theremin", "min_age": 10, "active": false})
	f.Room = s.record("rooms", map[string]any{"name": "Studio 1", "capacity": 2, "active": true})

	f.TeacherX = s.record("teachers", map[string]any{
		"user": f.TeacherXUser.ID, "display_name": "Xavier Xu", "bio": "<p>Concert pianist.</p>",
		"instruments": []string{f.Piano}, "lesson_lengths": []string{"30", "45"}, "capacity": 20,
		"levels": []string{"beginner", "intermediate"}, "public": true, "active": true,
	})
	f.TeacherY = s.record("teachers", map[string]any{
		"user": f.TeacherYUser.ID, "display_name": "Yara Young", "instruments": []string{f.Violin, f.Piano},
		"lesson_lengths": []string{"30", "60"}, "capacity": 15, "levels": []string{"beginner", "advanced"},
		"public": true, "active": true,
	})
	f.TeacherHidden = s.record("teachers", map[string]any{
		"user": hidden.ID, "display_name": "Hana Hidden", "instruments": []string{f.Violin},
		"lesson_lengths": []string{"30"}, "capacity": 5, "public": false, "active": true,
	})

	f.AvailabilityX = s.record("availability", map[string]any{"teacher": f.TeacherX, "weekday": 1, "start_time": "15:00", "end_time": "19:00"})
	f.AvailabilityY = s.record("availability", map[string]any{"teacher": f.TeacherY, "weekday": 3, "start_time": "10:00", "end_time": "14:00"})

	week := NextMonday()
	f.TimeOffX = s.record("time_off", map[string]any{"teacher": f.TeacherX, "start": week.AddDate(0, 1, 0), "end": week.AddDate(0, 1, 7), "reason": "Tour"})
	f.TimeOffY = s.record("time_off", map[string]any{"teacher": f.TeacherY, "start": week.AddDate(0, 2, 0), "end": week.AddDate(0, 2, 2), "reason": "Medical"})
	f.Closure = s.record("closures", map[string]any{"name": "Winter break", "start": week.AddDate(0, 3, 0), "end": week.AddDate(0, 3, 14)})

	f.StudentA1 = s.record("students", map[string]any{"parent": f.ParentA.ID, "first_name": "Amy", "last_name": "Anders", "birth_date": "2015-04-02 00:00:00.000Z", "instruments": []string{f.Piano}, "level": "beginner", "preferred_teacher": f.TeacherX, "status": "active", "teacher_users": f.TeacherXUser.ID})
	f.StudentA2 = s.record("students", map[string]any{"parent": f.ParentA.ID, "first_name": "Andy", "last_name": "Anders", "instruments": []string{f.Violin}, "level": "beginner", "status": "prospect"})
	f.StudentADeleted = s.record("students", map[string]any{"parent": f.ParentA.ID, "first_name": "Old", "last_name": "Anders", "status": "withdrawn", "deleted": week.AddDate(0, 0, -30)})
	f.StudentB1 = s.record("students", map[string]any{"parent": f.ParentB.ID, "first_name": "Ben", "last_name": "Brown", "instruments": []string{f.Violin}, "level": "advanced", "status": "active", "notes": "allergic to rosin", "teacher_users": f.TeacherYUser.ID})

	f.LessonA1 = s.record("lessons", map[string]any{"teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "room": f.Room, "start": week, "end": week.Add(30 * time.Minute), "kind": "regular", "status": "scheduled", "teacher_notes": "Practise scales"})
	f.LessonB1 = s.record("lessons", map[string]any{"teacher": f.TeacherY, "student": f.StudentB1, "instrument": f.Violin, "start": week.Add(43 * time.Hour), "end": week.Add(44 * time.Hour), "kind": "regular", "status": "scheduled"})
	f.PrivateNoteA1 = s.record("lesson_private_notes", map[string]any{"lesson": f.LessonA1, "note": "Parent asked about exam fees"})

	f.PlanPublic = s.record("pricing_plans", map[string]any{"name": "Monthly 30 min", "lesson_minutes": 30, "lessons_per_period": 4, "interval": "month", "amount": 14000, "currency": "cad", "public": true, "active": true})
	f.PlanHidden = s.record("pricing_plans", map[string]any{"name": "Staff rate", "lesson_minutes": 30, "lessons_per_period": 4, "interval": "month", "amount": 9000, "currency": "cad", "public": false, "active": true})

	f.EnrollmentA1 = s.record("enrollments", map[string]any{"student": f.StudentA1, "teacher": f.TeacherX, "plan": f.PlanPublic, "status": "active", "weekday": 1, "start_time": "16:00", "start_date": week, "stripe_subscription_id": "sub_a1"})
	f.EnrollmentB1 = s.record("enrollments", map[string]any{"student": f.StudentB1, "teacher": f.TeacherY, "plan": f.PlanPublic, "status": "active", "weekday": 3, "start_time": "11:00", "start_date": week})
	f.PaymentA = s.record("payments", map[string]any{"family": f.ParentA.ID, "enrollment": f.EnrollmentA1, "amount": 14000, "currency": "cad", "status": "succeeded", "kind": "tuition", "method": "stripe", "stripe_payment_intent_id": "pi_a"})
	f.PaymentB = s.record("payments", map[string]any{"family": f.ParentB.ID, "enrollment": f.EnrollmentB1, "amount": 5000, "currency": "cad", "status": "succeeded", "kind": "registration", "method": "cash"})

	if s.err != nil {
		return nil, s.err
	}
	return f, nil
}

// seeder stops at the first error so seed reads as a plain list.
type seeder struct {
	app core.App
	err error
}

func (s *seeder) record(collection string, data map[string]any) string {
	if s.err != nil {
		return ""
	}
	c, err := s.app.FindCollectionByNameOrId(collection)
	if err != nil {
		s.err = err
		return ""
	}
	r := core.NewRecord(c)
	r.Load(data)
	if err := s.app.Save(r); err != nil {
		s.err = fmt.Errorf("seed %s %v: %w", collection, data, err)
		return ""
	}
	return r.Id
}

func (s *seeder) account(collection, email string, data map[string]any) Account {
	if s.err != nil {
		return Account{}
	}
	c, err := s.app.FindCollectionByNameOrId(collection)
	if err != nil {
		s.err = err
		return Account{}
	}
	r := core.NewRecord(c)
	r.Load(data)
	r.SetEmail(email)
	r.SetPassword(Password)
	r.SetVerified(true)
	if err := s.app.Save(r); err != nil {
		s.err = fmt.Errorf("seed %s %s: %w", collection, email, err)
		return Account{}
	}
	token, err := r.NewAuthToken()
	if err != nil {
		s.err = err
	}
	return Account{ID: r.Id, Email: email, Token: token}
}
