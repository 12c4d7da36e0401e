package hooks

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/scheduling"
)

// availability.go: PUT /api/v1/teachers/{id}/availability replaces a
// teacher's weekly windows in one transaction. The windows are checked with
// the pure scheduling package; who may replace them is the availability
// collection's Delete rule (for each old window) and Create rule (for each
// new one), checked through access.go. A caller who can see the teacher but
// not write its windows gets 403; one who cannot see the teacher gets 404.

// maxWindowsPerTeacher bounds one replacement; a week rarely needs 10.
const maxWindowsPerTeacher = 50

// windowInput is one submitted window after its fields were checked.
type windowInput struct {
	window scheduling.WeeklyWindow
	record map[string]any // the availability record's fields
}

func replaceAvailability(e *core.RequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return requestError(e, err)
	}
	teacher, err := findVisible(e, "teachers", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	inputs, err := readWindows(info.Body)
	if err != nil {
		return e.BadRequestError("Invalid availability windows.", err)
	}

	collection, err := e.App.FindCachedCollectionByNameOrId("availability")
	if err != nil {
		return e.InternalServerError("", err)
	}
	saved := make([]*core.Record, 0, len(inputs))
	err = writeTx(e, func(txApp core.App) error {
		old, err := txApp.FindAllRecords(collection, dbx.HashExp{"teacher": teacher.Id})
		if err != nil {
			return e.InternalServerError("", err)
		}
		for _, r := range old {
			if err := checkRule(txApp, e, r, collection.DeleteRule, map[string]any{}); err != nil {
				return err
			}
		}
		// With no window to create, a probe window still has to pass the
		// CreateRule: replacing with nothing is a write like any other.
		creates := inputs
		if len(creates) == 0 {
			creates = []windowInput{{record: map[string]any{}}}
		}
		for _, in := range creates {
			body := withTeacher(in.record, teacher.Id)
			probe := core.NewRecord(collection)
			probe.Load(body)
			if err := checkCreate(txApp, e, probe, body); err != nil {
				return err
			}
		}

		for _, r := range old {
			if err := txApp.Delete(r); err != nil {
				return saveError(e, err)
			}
		}
		for i, in := range inputs {
			r := core.NewRecord(collection)
			r.Load(withTeacher(in.record, teacher.Id))
			if err := txApp.Save(r); err != nil {
				return windowSaveError(e, i, err)
			}
			saved = append(saved, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"teacher": teacher.Id, "windows": saved})
}

func withTeacher(fields map[string]any, teacherId string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out["teacher"] = teacherId
	return out
}

// readWindows checks the submitted {"windows": [...]} and returns them, or
// field errors keyed like "windows.2.end_time".
func readWindows(body map[string]any) ([]windowInput, error) {
	raw, ok := body["windows"]
	if !ok || raw == nil {
		return nil, validation.Errors{"windows": validation.ErrRequired}
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, validation.Errors{"windows": validation.NewError("validation_invalid_type", "Must be a list of windows.")}
	}
	if len(list) > maxWindowsPerTeacher {
		return nil, validation.Errors{"windows": validation.NewError("validation_too_many", fmt.Sprintf("Must hold at most %d windows.", maxWindowsPerTeacher))}
	}

	errs := validation.Errors{}
	inputs := make([]windowInput, len(list))
	for i, item := range list {
		key := "windows." + strconv.Itoa(i)
		m, ok := item.(map[string]any)
		if !ok {
			errs[key] = validation.NewError("validation_invalid_type", "Must be an object with weekday, start_time and end_time.")
			continue
		}
		in, fieldErrs := readWindow(m)
		for field, err := range fieldErrs {
			errs[key+"."+field] = err
		}
		inputs[i] = in
	}
	if len(errs) > 0 {
		return nil, errs
	}

	windows := make([]scheduling.WeeklyWindow, len(inputs))
	for i, in := range inputs {
		windows[i] = in.window
	}
	if i, j := scheduling.FirstOverlap(windows); i >= 0 {
		return nil, validation.Errors{
			fmt.Sprintf("windows.%d.start_time", j): validation.NewError("validation_overlap",
				fmt.Sprintf("Overlaps window %d (%s %s–%s).", i, windows[i].Weekday, windows[i].Start, windows[i].End)),
		}
	}
	return inputs, nil
}

// readWindow checks one window's fields; errors are keyed by field name.
func readWindow(m map[string]any) (windowInput, validation.Errors) {
	errs := validation.Errors{}
	var w scheduling.WeeklyWindow

	switch d, ok := m["weekday"].(float64); {
	case m["weekday"] == nil:
		errs["weekday"] = validation.ErrRequired
	case !ok || d != math.Trunc(d) || d < 0 || d > 6:
		errs["weekday"] = validation.NewError("validation_invalid_weekday", "Must be a whole number from 0 (Sunday) to 6 (Saturday).")
	default:
		w.Weekday = time.Weekday(d)
	}

	clock := func(name string) scheduling.Clock {
		s, ok := m[name].(string)
		if m[name] == nil || (ok && s == "") {
			errs[name] = validation.ErrRequired
			return 0
		}
		c, err := scheduling.ParseClock(s)
		if !ok || err != nil {
			errs[name] = validation.NewError("validation_invalid_clock", "Must be a time of day as HH:MM (00:00 to 24:00).")
		}
		return c
	}
	w.Start = clock("start_time")
	w.End = clock("end_time")

	date := func(name string) time.Time {
		if m[name] == nil {
			return time.Time{}
		}
		s, ok := m[name].(string)
		d, err := parseDate(s)
		if !ok || err != nil {
			errs[name] = errNotDate
			return time.Time{}
		}
		return d.Time()
	}
	w.ValidFrom = date("valid_from")
	w.ValidTo = date("valid_to")

	if len(errs) == 0 {
		switch err := w.Validate(); err {
		case nil:
		case scheduling.ErrWindowEndBeforeStart:
			errs["end_time"] = validation.NewError("validation_end_before_start", "Must be after the start time.")
		case scheduling.ErrWindowValidity:
			errs["valid_to"] = validation.NewError("validation_valid_to_before_from", "Must not be before valid_from.")
		default:
			errs["start_time"] = validation.NewError("validation_invalid_window", err.Error())
		}
	}
	if len(errs) > 0 {
		return windowInput{}, errs
	}

	return windowInput{window: w, record: map[string]any{
		"weekday":    int(w.Weekday),
		"start_time": w.Start.String(),
		"end_time":   w.End.String(),
		"valid_from": dateValue(w.ValidFrom),
		"valid_to":   dateValue(w.ValidTo),
	}}, nil
}

func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02") + " 00:00:00.000Z"
}

// windowSaveError names the window whose Save failed (field validation the
// checks above did not foresee, a hook refusing it).
func windowSaveError(e *core.RequestEvent, i int, err error) error {
	if apiErr := asApiError(err); apiErr != nil {
		return apiErr
	}
	var ve validation.Errors
	if errors.As(err, &ve) {
		named := validation.Errors{}
		for field, fe := range ve {
			named[fmt.Sprintf("windows.%d.%s", i, field)] = fe
		}
		return e.BadRequestError("Invalid availability windows.", named)
	}
	return e.BadRequestError("Failed to save the availability windows.", err)
}
