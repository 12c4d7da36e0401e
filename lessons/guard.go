package lessons

import (
	"fmt"
	"net/http"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// guard.go enforces the calendar and the lesson's lifecycle on every
// write path of a lesson (collection API, admin UI, batch, /api/v1 routes,
// Go code): the checks run in the same transaction as the write, and
// SQLite's single writer makes concurrent requests for one slot queue
// behind it, so only one wins.

func bindGuard(app core.App) {
	app.OnRecordCreate("lessons").BindFunc(guardLessonWrite)
	app.OnRecordUpdate("lessons").BindFunc(guardLessonWrite)
}

// MaxLength bounds a lesson, which also bounds how far back the
// conflict query must look for an overlapping one.
const MaxLength = 3 * time.Hour

// scheduleFields are the fields whose change re-opens the conflict check;
// marking attendance or writing notes does not.
var scheduleFields = []string{"teacher", "student", "room", "instrument", "start", "end", "status", "kind"}

func guardLessonWrite(e *core.RecordEvent) error {
	return inTransaction(e, func() error {
		tx := e.App
		move, err := checkLessonMove(e)
		if err != nil {
			return err
		}
		settings, err := academy.Load(tx)
		if err != nil {
			return err
		}
		if err := checkReschedule(e, settings); err != nil {
			return err
		}
		if err := checkLessonFits(tx, settings, e.Record); err != nil {
			return err
		}
		var decision *scheduling.MakeupDecision
		if becameCancelled(e.Record) {
			decision = recordCancellation(settings, e.Record)
		}
		clearCancellation(e.Record)
		var takeBack *core.Record
		if move.Reinstates() {
			if takeBack, err = creditToTakeBack(tx, e.Record); err != nil {
				return err
			}
		}
		credit, err := makeupCreditFor(tx, e.Record)
		if err != nil {
			return err
		}
		if err := e.Next(); err != nil {
			return err
		}
		if credit != nil {
			credit.Set("used_by", e.Record.Id)
			if err := tx.Save(credit); err != nil {
				return err
			}
		}
		if decision != nil {
			return grantMakeupCredit(tx, *decision, e.Record)
		}
		if takeBack != nil {
			return takeBackCredit(tx, takeBack, move.Now)
		}
		return nil
	})
}

// checkLessonFits refuses a lesson that breaks a scheduling rule. Cancelled
// lessons never conflict; a lesson already in the calendar is re-checked
// only when its schedule changes.
func checkLessonFits(app core.App, settings academy.Settings, lesson *core.Record) error {
	if lesson.GetString("status") == "cancelled" || !scheduleChanged(lesson) {
		return nil
	}
	span := recordSpan(lesson)
	teacher := lesson.GetString("teacher")
	if teacher == "" || span.Start.IsZero() || span.End.IsZero() {
		return nil // field validation names what is missing
	}
	if !span.Valid() {
		return validation.Errors{"end": validation.NewError("validation_end_before_start", "Must be after the start.")}
	}
	if span.End.Sub(span.Start) > MaxLength {
		return validation.Errors{"end": validation.NewError("validation_lesson_too_long", "A lesson lasts at most 3 hours.")}
	}
	conflicts, found, err := lessonConflicts(app, settings, lesson)
	if err != nil {
		return err
	}
	if !found {
		return nil // the relation validator reports the unknown teacher
	}
	if len(conflicts) > 0 {
		return NewConflictError(conflicts)
	}
	return nil
}

// CheckLesson runs every scheduling rule on a lesson record (saved or not)
// without writing anything: what a save would refuse, and why. Workflows
// and the benchmark call it; saves run it by themselves.
func CheckLesson(app core.App, lesson *core.Record) ([]scheduling.Conflict, error) {
	settings, err := academy.Load(app)
	if err != nil {
		return nil, err
	}
	conflicts, _, err := lessonConflicts(app, settings, lesson)
	return conflicts, err
}

// lessonConflicts runs every scheduling rule on a lesson record; found is
// false when its teacher does not exist.
func lessonConflicts(app core.App, settings academy.Settings, lesson *core.Record) ([]scheduling.Conflict, bool, error) {
	span := recordSpan(lesson)
	req := scheduling.Request{
		Teacher:    lesson.GetString("teacher"),
		Student:    lesson.GetString("student"),
		Room:       lesson.GetString("room"),
		Instrument: lesson.GetString("instrument"),
		Start:      span.Start,
		Minutes:    int(span.End.Sub(span.Start) / time.Minute),
		IgnoreID:   lesson.Id,
		AllowPast:  mayBeInPast(lesson),
	}
	cal, found, err := LoadCalendar(app, settings, CalendarScope{Teachers: []string{req.Teacher}, Student: req.Student, Room: req.Room, Span: span})
	if err != nil || !found {
		return nil, found, err
	}
	return cal.Check(req), true, nil
}

// mayBeInPast: back-filling attendance (a completed or missed lesson) may
// be in the past, and so may edits that leave a past lesson's time alone;
// the collection rules let only admins and teachers write attendance, and a
// family's booking or move is a scheduled lesson at a new time, which
// this keeps in the future.
func mayBeInPast(lesson *core.Record) bool {
	if lesson.GetString("status") != "scheduled" {
		return true
	}
	return !lesson.IsNew() && lesson.Original().GetDateTime("start").Equal(lesson.GetDateTime("start"))
}

func scheduleChanged(lesson *core.Record) bool {
	if lesson.IsNew() {
		return true
	}
	original := lesson.Original()
	if original.GetString("status") == "cancelled" {
		return true // a reinstatement puts it back in the calendar
	}
	for _, f := range scheduleFields {
		if f != "status" && fmt.Sprint(original.Get(f)) != fmt.Sprint(lesson.Get(f)) {
			return true
		}
	}
	return false
}

// ConflictError carries every broken rule; it unwraps to a 409 API error in
// PocketBase's shape (one field error per rule) so the collection API and
// the admin UI refuse the lesson the same way the /api/v1 routes do.
type ConflictError struct {
	Conflicts []scheduling.Conflict
	api       *router.ApiError
}

// NewConflictError is the refusal of a lesson that breaks conflicts.
func NewConflictError(conflicts []scheduling.Conflict) *ConflictError {
	fields := validation.Errors{}
	for _, c := range conflicts {
		field := conflictField(c.Reason)
		if _, taken := fields[field]; !taken {
			fields[field] = validation.NewError(string(c.Reason), c.Message)
		}
	}
	return &ConflictError{
		Conflicts: conflicts,
		api:       router.NewApiError(http.StatusConflict, "The lesson does not fit the calendar.", fields),
	}
}

func (c *ConflictError) Error() string { return c.api.Error() }
func (c *ConflictError) Unwrap() error { return c.api }

// API is the refusal as PocketBase's API error (409, a field error per rule).
func (c *ConflictError) API() *router.ApiError { return c.api }

// conflictField names the request field each rule is about.
func conflictField(r scheduling.Reason) string {
	switch r {
	case scheduling.ReasonStudentBusy:
		return "student"
	case scheduling.ReasonRoomBusy:
		return "room"
	case scheduling.ReasonInstrumentNotTaught:
		return "instrument"
	case scheduling.ReasonLengthNotOffered:
		return "end"
	case scheduling.ReasonTeacherBusy, scheduling.ReasonTimeOff, scheduling.ReasonOutsideAvailability:
		return "teacher"
	default:
		return "start"
	}
}
