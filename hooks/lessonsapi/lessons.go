package lessonsapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/academy"
	"cedarheights/hooks"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// lessons.go: the seed's /api/v1/lessons routes. Listing and viewing go
// through the lessons rules (access.go); placing a lesson goes through the
// CreateRule and the conflict check of lessons/guard.go, like every other
// write path.

var lessonStatuses = []any{"scheduled", "completed", "cancelled", "no_show"}

var lessonSorts = map[string]string{
	"start":  "start,id",
	"-start": "-start,-id",
}

func ListLessons(e *core.RequestEvent) error {
	settings, err := academy.Load(e.App)
	if err != nil {
		return e.InternalServerError("", err)
	}
	q := e.Request.URL.Query()
	filters := struct {
		Teacher string `json:"teacher"`
		Student string `json:"student"`
		Status  string `json:"status"`
		Series  string `json:"series"`
		From    string `json:"from"`
		To      string `json:"to"`
	}{q.Get("teacher"), q.Get("student"), q.Get("status"), q.Get("series"), q.Get("from"), q.Get("to")}
	var from, to time.Time
	errs := validation.ValidateStruct(&filters,
		validation.Field(&filters.Teacher, hooks.IsRecordID),
		validation.Field(&filters.Student, hooks.IsRecordID),
		validation.Field(&filters.Series, hooks.IsRecordID),
		validation.Field(&filters.Status, validation.In(lessonStatuses...).Error("Must be scheduled, completed, cancelled or no_show.")),
		validation.Field(&filters.From, validation.By(instantInto(&from, settings.Zone))),
		validation.Field(&filters.To, validation.By(instantInto(&to, settings.Zone))),
	)
	page := hooks.ReadPageParams(e)
	if err := hooks.MergeErrors(errs, page.Validate(lessonSorts)); err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return e.BadRequestError("Invalid query parameters.", validation.Errors{"to": validation.NewError("validation_range", "Must be after from.")})
	}

	var conds []string
	params := dbx.Params{}
	add := func(cond, name string, value any, set bool) {
		if set {
			conds = append(conds, cond)
			params[name] = value
		}
	}
	add("teacher = {:teacher}", "teacher", filters.Teacher, filters.Teacher != "")
	add("student = {:student}", "student", filters.Student, filters.Student != "")
	add("status = {:status}", "status", filters.Status, filters.Status != "")
	add("series = {:series}", "series", filters.Series, filters.Series != "")
	add("end > {:from}", "from", hooks.DBTime(from), !from.IsZero())
	add("start >= {:earliest}", "earliest", hooks.DBTime(from.Add(-lessons.MaxLength)), !from.IsZero()) // a tight index range
	add("start < {:to}", "to", hooks.DBTime(to), !to.IsZero())
	lq := hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: params}
	page.Apply(&lq, lessonSorts, "start")

	result, records, err := hooks.ListVisible(e, "lessons", lq)
	if err != nil {
		return err
	}
	if err := enrichLessons(e, settings, records); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, result)
}

// instantInto validates an optional instant parameter and stores it.
func instantInto(dst *time.Time, zone *time.Location) validation.RuleFunc {
	return func(value any) error {
		s, _ := value.(string)
		if s == "" {
			return nil
		}
		t, err := parseInstant(s, zone)
		*dst = t
		return err
	}
}

// enrichLessons adds each lesson's wall-clock time in the academy's zone
// next to its UTC instants, and PocketBase's usual enrichment (expand, …).
func enrichLessons(e *core.RequestEvent, settings academy.Settings, records []*core.Record) error {
	for _, l := range records {
		l.WithCustomData(true)
		l.Set("local", localTimes(settings, l))
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return hooks.EnrichError(e, err)
	}
	return nil
}

// lessonLocal is a lesson's wall-clock time where the academy is.
type lessonLocal struct {
	Zone  string `json:"zone"`
	Date  string `json:"date"`
	Start string `json:"start"`
	End   string `json:"end"`
}

func localTimes(settings academy.Settings, lesson *core.Record) lessonLocal {
	start := lesson.GetDateTime("start").Time().In(settings.Zone)
	end := lesson.GetDateTime("end").Time().In(settings.Zone)
	return lessonLocal{Zone: settings.Zone.String(), Date: start.Format(time.DateOnly), Start: start.Format("15:04"), End: end.Format("15:04")}
}

// CreateLessons places one lesson or a weekly series. A dry run answers the
// plan (every occurrence created or skipped, with reasons); otherwise the
// accepted occurrences are created in one transaction, each re-checked by
// lessons/guard.go, so a booking that raced in makes the whole call a 409.
func CreateLessons(e *core.RequestEvent) error {
	p, err := resolvePlacement(e)
	if err != nil {
		return err
	}
	collection, err := e.App.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return e.InternalServerError("", err)
	}
	series := p.Input.Recurrence != nil
	seriesID := ""
	if series {
		seriesID = security.RandomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789")
	}
	// The probe is a lesson as it will be stored, series id included: the
	// CreateRule lets a family book single make-ups, not a series of them.
	probe := p.newLesson(collection, p.Starts[0], seriesID)
	if err := hooks.CheckCreate(e.App, e, probe, probe.FieldsData()); err != nil {
		return err
	}
	result, err := p.check(e)
	if err != nil {
		return err
	}
	if p.Input.DryRun {
		return e.JSON(http.StatusOK, map[string]any{"dry_run": true, "ok": result.OK, "occurrences": result.Occurrences, "conflicts": result.Conflicts, "alternatives": result.Alternatives})
	}
	if !series && !result.OK {
		return conflictResponse(e, result)
	}

	var created []*core.Record
	err = hooks.WriteTx(e, func(tx core.App) error {
		for _, start := range p.Starts {
			if series && !plannedToCreate(result.Occurrences, start) {
				continue
			}
			lesson := p.newLesson(collection, start, seriesID)
			if err := tx.Save(lesson); err != nil {
				return err
			}
			created = append(created, lesson)
		}
		return nil
	})
	var conflict *lessons.ConflictError
	if errors.As(err, &conflict) {
		// Something was booked between the check and the write: answer with
		// the calendar as it is now.
		if fresh, err := p.check(e); err == nil {
			return conflictResponse(e, fresh)
		}
		return conflict.API()
	}
	if err != nil {
		return hooks.SaveError(e, err)
	}
	if len(created) == 0 {
		return conflictResponse(e, result)
	}
	if err := enrichLessons(e, p.Settings, created); err != nil {
		return err
	}
	if !series {
		return e.JSON(http.StatusCreated, created[0])
	}
	return e.JSON(http.StatusCreated, map[string]any{"series": seriesID, "lessons": created, "occurrences": result.Occurrences})
}

func plannedToCreate(plan []scheduling.Occurrence, start time.Time) bool {
	for _, o := range plan {
		if o.Start.Equal(start) {
			return o.Status == scheduling.OccurrenceCreated
		}
	}
	return false
}

func (p *placement) newLesson(collection *core.Collection, start time.Time, series string) *core.Record {
	r := core.NewRecord(collection)
	r.Set("teacher", p.Request.Teacher)
	r.Set("student", p.Request.Student)
	r.Set("instrument", p.Request.Instrument)
	r.Set("room", p.Request.Room)
	r.Set("start", start)
	r.Set("end", start.Add(time.Duration(p.Request.Minutes)*time.Minute))
	r.Set("kind", p.Input.Kind)
	r.Set("status", "scheduled")
	r.Set("series", series)
	return r
}

// conflictResponse is a 409 in PocketBase's error shape with the conflicts
// and the ranked alternatives beside it.
func conflictResponse(e *core.RequestEvent, result *checkResult) error {
	fields := lessons.NewConflictError(result.Conflicts).API().Data
	return e.JSON(http.StatusConflict, map[string]any{
		"status":       http.StatusConflict,
		"message":      "The lesson does not fit the calendar.",
		"data":         fields,
		"conflicts":    result.Conflicts,
		"alternatives": result.Alternatives,
		"occurrences":  result.Occurrences,
	})
}
