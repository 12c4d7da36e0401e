package lessons

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/audit"
	"cedarheights/scheduling"
)

// lifecycle.go applies scheduling.LessonLifecycle in the record hook
// that guards every lesson write, so the record API, the admin UI, batch
// requests, the /api/v1 routes and Go code all move a lesson the same way.
// The collection rules stay the first gate over HTTP; this one also knows
// the lesson's start and its history.

// checkLessonMove refuses a write whose status change the lifecycle does
// not allow for this mover at this time, and answers the move.
func checkLessonMove(e *core.RecordEvent) (scheduling.LessonMove, error) {
	lesson := e.Record
	move := scheduling.LessonMove{
		To:    scheduling.LessonStatus(lesson.GetString("status")),
		Start: lesson.GetDateTime("start").Time(),
		Now:   time.Now(),
	}
	if !lesson.IsNew() {
		move.From = scheduling.LessonStatus(lesson.Original().GetString("status"))
	}
	if !move.To.Known() {
		return move, nil // field validation names the bad status
	}
	if move.From == move.To && !(move.To.Attended() && startChanged(lesson)) {
		return move, nil // neither the status nor an attended lesson's time moves
	}
	by, err := lessonMover(e)
	if err != nil {
		return move, err
	}
	move.By = by
	if refusal := move.Check(); refusal != nil {
		return move, lifecycleError(refusal)
	}
	return move, nil
}

func startChanged(lesson *core.Record) bool {
	return lesson.IsNew() || !lesson.Original().GetDateTime("start").Equal(lesson.GetDateTime("start"))
}

// lifecycleError answers in PocketBase's shape on the refusal's field
// (status unless it names another): 403 when the mover may never make the
// move, 400 when the lesson's state or time is wrong for it (like any other
// invalid value).
func lifecycleError(r *scheduling.Refusal) error {
	field := r.Field
	if field == "" {
		field = "status"
	}
	fields := validation.Errors{field: validation.NewError(r.Code, r.Message)}
	if r.Forbidden {
		return router.NewForbiddenError(r.Message, fields)
	}
	return router.NewBadRequestError(r.Message, fields)
}

// lessonMover says who writes the lesson, seen from it: the request's
// signed-in user (stamped on the record, or on the route's transaction),
// else Go code. A teacher or parent counts as such only for their own
// lesson; superusers act as admins (the admin UI).
func lessonMover(e *core.RecordEvent) (scheduling.Mover, error) {
	actor := audit.EventActor(e)
	if actor.Name == audit.System.Name {
		return scheduling.MoverSystem, nil
	}
	collection, id, _ := strings.Cut(actor.Name, ":")
	if collection == core.CollectionNameSuperusers {
		return scheduling.MoverAdmin, nil
	}
	if collection != "users" {
		return scheduling.MoverOther, nil
	}
	user, err := e.App.FindRecordById("users", id)
	if err != nil {
		return scheduling.MoverOther, ignoreMissing(err)
	}
	lesson := e.Record
	if !lesson.IsNew() {
		lesson = lesson.Original() // whose lesson it was, not whose the body says
	}
	switch user.GetString("role") {
	case "admin":
		return scheduling.MoverAdmin, nil
	case "teacher":
		teacher, err := e.App.FindRecordById("teachers", lesson.GetString("teacher"))
		if err == nil && teacher.GetString("user") == id {
			return scheduling.MoverTeacher, nil
		}
		return scheduling.MoverOther, ignoreMissing(err)
	case "parent":
		student, err := e.App.FindRecordById("students", lesson.GetString("student"))
		if err == nil && student.GetString("parent") == id {
			return scheduling.MoverFamily, nil
		}
		return scheduling.MoverOther, ignoreMissing(err)
	}
	return scheduling.MoverOther, nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// clearCancellation: the cancellation fields describe a cancelled lesson
// only; a reinstated lesson (or a stray value in an admin's body) loses them.
func clearCancellation(lesson *core.Record) {
	if lesson.GetString("status") == string(scheduling.LessonCancelled) {
		return
	}
	for _, f := range []string{"cancelled_by", "cancelled_at", "cancellation_note"} {
		lesson.Set(f, "")
	}
}

// creditToTakeBack is the make-up credit a reinstated lesson's cancellation
// granted, which the reinstatement takes back (nil when none was granted or
// it was already taken back). A credit already spent on a make-up lesson
// cannot be taken back: the reinstatement is refused, naming that lesson,
// so the office decides which of the two lessons happens.
func creditToTakeBack(app core.App, lesson *core.Record) (*core.Record, error) {
	credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", lesson.Id)
	if err != nil {
		return nil, ignoreMissing(err)
	}
	if !credit.GetDateTime("revoked_at").IsZero() {
		return nil, nil
	}
	if spentOn := credit.GetString("used_by"); spentOn != "" {
		msg := "The make-up credit this cancellation granted was spent on lesson " + spentOn +
			": delete that make-up lesson first, or leave this lesson cancelled."
		return nil, router.NewApiError(http.StatusConflict, msg,
			validation.Errors{"status": validation.NewError("makeup_credit_spent", msg)})
	}
	return credit, nil
}

// takeBackCredit marks the credit revoked, with the reason, rather than
// deleting it: the family and the office still see that it was granted and
// why it is gone, and the audit log holds who did it.
func takeBackCredit(app core.App, credit *core.Record, now time.Time) error {
	credit.Set("revoked_at", now.UTC())
	credit.Set("revoked_reason", "taken back: the cancelled lesson was reinstated on "+now.UTC().Format(time.DateOnly))
	return app.Save(credit)
}
