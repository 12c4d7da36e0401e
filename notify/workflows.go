package notify

import (
	"time"

	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/workflows"
)

// Workflows registers the notification workflows on reg, with their
// triggers (a lesson created starts its trial or booking confirmation; a
// lesson moved, cancelled or reinstated starts the mail that tells it) and
// their schedule (reminders at five past every hour, catching up after
// downtime).
func Workflows(reg *workflows.Registry) error {
	if err := reg.Register(TrialConfirmation, BookingConfirmation, LessonChange, LessonReminders); err != nil {
		return err
	}
	workflows.OnRecordCreate(reg, "lessons", TrialConfirmation, trialForNewLesson)
	workflows.OnRecordCreate(reg, "lessons", BookingConfirmation, bookingForNewLesson)
	workflows.OnRecordUpdate(reg, "lessons", LessonChange, changeForUpdatedLesson)
	return workflows.Schedule(reg, "lesson_reminders", "5 * * * *", LessonReminders, func(slot workflows.Slot) ReminderInput {
		from := slot.Previous
		if from.IsZero() {
			from = slot.Time.Add(-time.Hour)
		}
		return ReminderInput{From: from.Add(ReminderLead), To: slot.Time.Add(ReminderLead)}
	})
}

// dbTime formats t as PocketBase stores dates.
func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// parseDBTime reads a date as PocketBase stores it (zero when empty).
func parseDBTime(s string) time.Time {
	d, _ := types.ParseDateTime(s)
	return d.Time()
}
