package lessons

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// reschedule.go applies scheduling.Reschedule when a scheduled lesson's
// time changes, on every write path: the family's move (PATCH
// /api/v1/lessons/{id}, or start and end through the record API) must come
// with the academy's notice and keep the lesson's length. The lessons
// UpdateRule decides who may move a lesson at all; the calendar check
// (guard.go) whether the new time is free and in the future.
func checkReschedule(e *core.RecordEvent, settings academy.Settings) error {
	lesson := e.Record
	if lesson.IsNew() || lesson.GetString("status") != string(scheduling.LessonScheduled) ||
		lesson.Original().GetString("status") != string(scheduling.LessonScheduled) {
		return nil
	}
	from, to := recordSpan(lesson.Original()), recordSpan(lesson)
	if from.Start.Equal(to.Start) && from.End.Equal(to.End) {
		return nil
	}
	by, err := lessonMover(e)
	if err != nil {
		return err
	}
	r := scheduling.Reschedule{By: by, From: from, To: to, Now: time.Now(), Notice: settings.CancellationNotice}
	if refusal := r.Check(); refusal != nil {
		return lifecycleError(refusal)
	}
	return nil
}
