package peopleapi

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"

	"cedarheights/hooks"
)

// teachers.go: the seed's /api/v1/teachers routes over the teachers and
// availability collections. The teachers rules decide which profiles a
// caller sees and who creates them; the availability rules decide which
// windows come along and who may replace them (availability.go).

var teacherSorts = map[string]string{
	"name":     "display_name,id",
	"-name":    "-display_name,-id",
	"created":  "created,id",
	"-created": "-created,-id",
}

// availabilityExpand is the key each listed teacher carries its windows
// under with ?availability=1: the same back-relation expand the SDK would
// ask for, so /api/v1/teachers and getList(…, {expand:
// "availability_via_teacher"}) match.
const availabilityExpand = "availability_via_teacher"

type teacherFilters struct {
	Instrument   string `json:"instrument"`
	Q            string `json:"q"`
	Availability string `json:"availability"`
}

func (f teacherFilters) validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Instrument, hooks.IsRecordID),
		validation.Field(&f.Q, validation.RuneLength(0, 100)),
		validation.Field(&f.Availability, hooks.IsFlag),
	)
}

func ListTeachers(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	filters := teacherFilters{Instrument: q.Get("instrument"), Q: q.Get("q"), Availability: q.Get("availability")}
	page := hooks.ReadPageParams(e)
	if err := hooks.MergeErrors(filters.validate(), page.Validate(teacherSorts)); err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}
	var conds []string
	params := dbx.Params{}
	if filters.Instrument != "" {
		conds = append(conds, "instruments:each ?= {:instrument}")
		params["instrument"] = filters.Instrument
	}
	if filters.Q != "" {
		conds = append(conds, "display_name ~ {:q}")
		params["q"] = filters.Q
	}
	lq := hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: params}
	page.Apply(&lq, teacherSorts, "name")

	// The windows come only when asked for: a page of teachers with them is
	// five times the records and the bytes (issue 14), and a directory or a
	// picker needs the profiles alone.
	windows := hooks.Flag(filters.Availability)
	if windows {
		body, ok, err := keptTeachersPage(e, lq)
		if err != nil {
			return err
		}
		if ok {
			return e.Blob(http.StatusOK, "application/json", body)
		}
	}
	body, result, err := listTeachers(e, lq, windows)
	if err != nil {
		return err
	}
	if body != nil {
		return e.Blob(http.StatusOK, "application/json", body)
	}
	return e.JSON(http.StatusOK, result)
}

// listTeachers lists lq's page of teachers the caller may see, with their
// windows when asked: as bytes when they come from the kept encodings,
// else as result for e.JSON.
func listTeachers(e *core.RequestEvent, lq hooks.ListQuery, windows bool) ([]byte, *search.Result, error) {
	result, teachers, err := hooks.ListVisible(e, "teachers", lq)
	if err != nil {
		return nil, nil, err
	}
	if err := apis.EnrichRecords(e, teachers); err != nil {
		return nil, nil, hooks.EnrichError(e, err)
	}
	if !windows {
		return nil, result, nil
	}
	body, err := embedAvailability(e, result, teachers)
	return body, result, err
}

// embedAvailability loads the windows of every listed teacher in one query,
// under the availability ListRule, and attaches them to their teacher; or,
// for callers the rule admits to every window, answers the page written
// with the teachers' kept encodings (window_cache.go, windows_page.go).
func embedAvailability(e *core.RequestEvent, result *search.Result, teachers []*core.Record) ([]byte, error) {
	if len(teachers) == 0 {
		return nil, nil
	}
	ids := make([]any, len(teachers))
	teacherIDs := make([]string, len(teachers))
	for i, t := range teachers {
		ids[i], teacherIDs[i] = t.Id, t.Id
	}
	encoded, ok, err := cachedWindows(e, teacherIDs)
	if err != nil {
		return nil, err
	}
	if ok {
		body, err := windowsPage(result, teachers, encoded)
		if err != nil {
			return nil, e.InternalServerError("", err)
		}
		return body, nil
	}
	windows, err := hooks.AllVisible(e, "availability", hooks.ListQuery{
		Where: []dbx.Expression{dbx.In("availability.teacher", ids...)},
		Sort:  "teacher,weekday,start_time,id",
	})
	if err != nil {
		var apiErr *router.ApiError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
			windows = nil // the caller may not read availability: teachers come without it
		} else {
			return nil, err
		}
	}
	if err := apis.EnrichRecords(e, windows); err != nil {
		return nil, hooks.EnrichError(e, err)
	}
	byTeacher := make(map[string][]*core.Record, len(teachers))
	for _, w := range windows {
		byTeacher[w.GetString("teacher")] = append(byTeacher[w.GetString("teacher")], w)
	}
	for _, t := range teachers {
		expand := t.Expand()
		found := byTeacher[t.Id]
		if found == nil {
			found = []*core.Record{}
		}
		expand[availabilityExpand] = found
		t.SetExpand(expand)
	}
	return nil, nil
}

// CreateTeacher creates a teacher profile (the CreateRule: admins): 201
// with the record. The linked user must exist, have the teacher role and
// no profile yet.
func CreateTeacher(e *core.RequestEvent) error {
	collection, err := e.App.FindCachedCollectionByNameOrId("teachers")
	if err != nil {
		return e.InternalServerError("", err)
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	body := b.Record(collection, hooks.IsSuperuser(e))
	record := core.NewRecord(collection)
	record.Load(body)
	b.RequireFields(e.Request.Context(), e.App, record)
	if err := b.Check(e); err != nil {
		return err
	}
	err = hooks.WriteTx(e, func(txApp core.App) error {
		if err := hooks.CheckCreate(txApp, e, record, body); err != nil {
			return err
		}
		if err := checkTeacherUser(txApp, record.GetString("user")); err != nil {
			var fieldErr validation.Error
			if errors.As(err, &fieldErr) {
				return e.BadRequestError("Invalid submitted data.", validation.Errors{"user": fieldErr})
			}
			return e.InternalServerError("", err)
		}
		if err := txApp.Save(record); err != nil {
			return hooks.SaveError(e, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return hooks.RespondRecord(e, http.StatusCreated, record)
}

// checkTeacherUser validates the user a new profile links to. It runs after
// the CreateRule passed, so only callers allowed to create profiles learn
// whether a user id exists.
func checkTeacherUser(app core.App, userId string) error {
	if userId == "" {
		return validation.ErrRequired
	}
	user, err := app.FindRecordById("users", userId)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return validation.NewError("validation_missing_rel_records", "The user does not exist.")
		}
		return err
	}
	if user.GetString("role") != "teacher" {
		return validation.NewError("validation_not_teacher", "The user must have the teacher role.")
	}
	existing, err := app.FindFirstRecordByData("teachers", "user", userId)
	if err == nil && existing != nil {
		return validation.NewError("validation_not_unique", "The user already has a teacher profile.")
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}
