package lessonsapi

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/hooks"
	"cedarheights/lessons"
)

// lesson_changes.go: move, edit or cancel one lesson of a series, or this
// one and the following ones (?scope=following). Each changed lesson passes
// the lessons UpdateRule (access.go) and the conflict check, all in one
// transaction: either every lesson changes or none does.

// lessonPatch is what PATCH /api/v1/lessons/{id} may change; nil fields
// were left out.
type lessonPatch struct {
	Start, Teacher, Room, Instrument, TeacherNotes *string
	Minutes                                        *int
}

type cancelInput struct {
	CancelledBy string
}

func readScope(e *core.RequestEvent) (string, error) {
	scope := e.Request.URL.Query().Get("scope")
	if scope == "" {
		scope = "one"
	}
	if scope != "one" && scope != "following" {
		return "", e.BadRequestError("Invalid query parameters.", validation.Errors{"scope": validation.NewError("validation_in_invalid", "Must be one or following.")})
	}
	return scope, nil
}

// lessonsInScope is the lesson itself, or it and the later scheduled
// lessons of its series.
func lessonsInScope(app core.App, lesson *core.Record, scope string) ([]*core.Record, error) {
	if scope == "one" || lesson.GetString("series") == "" {
		return []*core.Record{lesson}, nil
	}
	later, err := app.FindRecordsByFilter("lessons", "series = {:series} && start > {:start} && status = 'scheduled'", "start", 0, 0,
		dbx.Params{"series": lesson.GetString("series"), "start": hooks.DBTime(lesson.GetDateTime("start").Time())})
	if err != nil {
		return nil, err
	}
	return append([]*core.Record{lesson}, later...), nil
}

func UpdateLessons(e *core.RequestEvent) error {
	settings, err := academy.Load(e.App)
	if err != nil {
		return e.InternalServerError("", err)
	}
	scope, err := readScope(e)
	if err != nil {
		return err
	}
	target, err := hooks.FindVisible(e, "lessons", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	patch := lessonPatch{
		Start: b.OptStr("start"), Minutes: b.OptInt("minutes"), Teacher: b.OptStr("teacher"), Room: b.OptStr("room"),
		Instrument: b.OptStr("instrument"), TeacherNotes: b.OptStr("teacher_notes"),
	}
	var newStart time.Time
	if patch.Start != nil {
		if newStart, err = parseInstant(*patch.Start, settings.Zone); err != nil {
			b.Add("start", err)
		}
	}
	if patch.Minutes != nil && (*patch.Minutes < 15 || *patch.Minutes > 180) {
		b.Add("minutes", validation.NewError("validation_out_of_range", "Must be from 15 to 180."))
	}
	for field, id := range map[string]*string{"teacher": patch.Teacher, "room": patch.Room, "instrument": patch.Instrument} {
		if id != nil {
			b.Add(field, validation.Validate(*id, hooks.IsRecordID))
		}
	}
	if err := b.Check(e); err != nil {
		return err
	}

	return changeScope(e, settings, target.Id, scope, nil, func(target, l *core.Record) map[string]any {
		return patch.bodyFor(settings, target, l, newStart)
	})
}

// changeScope writes bodyFor(target, l) to every lesson of the scope in one
// transaction, each under the lessons UpdateRule and the conflict check,
// and answers the changed lessons. The target and its scope are read inside
// that transaction, and allow (when given) decides on that copy: a request
// that read the lesson before a concurrent change committed must not write
// its stale status or times back.
func changeScope(e *core.RequestEvent, settings academy.Settings, targetID, scope string, allow func(target *core.Record) error, bodyFor func(target, l *core.Record) map[string]any) error {
	var changed []*core.Record
	err := hooks.WriteTx(e, func(tx core.App) error {
		target, err := tx.FindRecordById("lessons", targetID)
		if errors.Is(err, sql.ErrNoRows) {
			return e.NotFoundError("", nil) // deleted since the caller's read
		}
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(target); err != nil {
				return err
			}
		}
		lessons, err := lessonsInScope(tx, target, scope)
		if err != nil {
			return err
		}
		for _, l := range lessons {
			body := bodyFor(target, l)
			if err := hooks.CheckRule(tx, e, l, l.Collection().UpdateRule, body); err != nil {
				return err
			}
			l.Load(body)
			if err := tx.Save(l); err != nil {
				return err
			}
			changed = append(changed, l)
		}
		return nil
	})
	if err != nil {
		return lessonWriteError(e, err)
	}
	if err := enrichLessons(e, settings, changed); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"lessons": changed})
}

// bodyFor is the change for lesson l when target moves to newStart: every
// lesson of the scope moves by the same number of days to the same
// wall-clock time, so a series stays at 17:00 across daylight saving.
func (p lessonPatch) bodyFor(settings academy.Settings, target, l *core.Record, newStart time.Time) map[string]any {
	body := map[string]any{}
	start := l.GetDateTime("start").Time()
	length := l.GetDateTime("end").Time().Sub(start)
	if p.Minutes != nil {
		length = time.Duration(*p.Minutes) * time.Minute
	}
	if !newStart.IsZero() {
		from := target.GetDateTime("start").Time().In(settings.Zone)
		to := newStart.In(settings.Zone)
		days := int(dateOnly(to).Sub(dateOnly(from)).Hours() / 24)
		local := start.In(settings.Zone)
		start = time.Date(local.Year(), local.Month(), local.Day()+days, to.Hour(), to.Minute(), 0, 0, settings.Zone).UTC()
	}
	if !newStart.IsZero() || p.Minutes != nil {
		body["start"] = hooks.DBTime(start)
		body["end"] = hooks.DBTime(start.Add(length))
	}
	for field, v := range map[string]*string{"teacher": p.Teacher, "room": p.Room, "instrument": p.Instrument, "teacher_notes": p.TeacherNotes} {
		if v != nil {
			body[field] = *v
		}
	}
	return body
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// CancelLessons cancels the lesson (or it and the following ones). The
// make-up policy in lessons/makeup_credits.go decides on credits; the answer shows
// its decision on each lesson (cancellation_note).
func CancelLessons(e *core.RequestEvent) error {
	settings, err := academy.Load(e.App)
	if err != nil {
		return e.InternalServerError("", err)
	}
	scope, err := readScope(e)
	if err != nil {
		return err
	}
	target, err := hooks.FindVisible(e, "lessons", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	in := cancelInput{CancelledBy: b.Str("cancelled_by")}
	if in.CancelledBy == "" {
		// A default, not an access decision: the UpdateRule still decides
		// whether this caller may cancel as the family or the academy.
		in.CancelledBy = "academy"
		if e.Auth != nil && e.Auth.GetString("role") == "parent" {
			in.CancelledBy = "family"
		}
	}
	b.Add("cancelled_by", validation.Validate(in.CancelledBy, validation.In("family", "academy")))
	if err := b.Check(e); err != nil {
		return err
	}
	// Decided on the copy read in the write's transaction: of concurrent
	// cancels of one lesson the first wins and the others are told.
	onlyScheduled := func(target *core.Record) error {
		if status := target.GetString("status"); status != "scheduled" {
			return e.BadRequestError("Only a scheduled lesson can be cancelled.", validation.Errors{"status": validation.NewError("validation_not_scheduled", "The lesson is "+status+".")})
		}
		return nil
	}
	body := map[string]any{"status": "cancelled", "cancelled_by": in.CancelledBy}
	return changeScope(e, settings, target.Id, scope, onlyScheduled, func(_, _ *core.Record) map[string]any { return body })
}

// lessonWriteError answers a failed lesson write: conflicts as a 409 with
// the rules broken, rule refusals and validation errors as they are.
func lessonWriteError(e *core.RequestEvent, err error) error {
	var conflict *lessons.ConflictError
	if errors.As(err, &conflict) {
		redactConflicts(e, conflict.Conflicts)
		return conflictResponse(e, &checkResult{Conflicts: conflict.Conflicts, Alternatives: []alternativeView{}})
	}
	return hooks.SaveError(e, err)
}
