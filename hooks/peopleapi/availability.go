package peopleapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
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

func ReplaceAvailability(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	teacher, err := hooks.FindVisible(e, "teachers", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	inputs := readWindows(b)
	if err := b.Check(e); err != nil {
		return err
	}

	collection, err := e.App.FindCachedCollectionByNameOrId("availability")
	if err != nil {
		return e.InternalServerError("", err)
	}
	saved := make([]*core.Record, 0, len(inputs))
	err = hooks.WriteTx(e, func(txApp core.App) error {
		old, err := txApp.FindAllRecords(collection, dbx.HashExp{"teacher": teacher.Id})
		if err != nil {
			return e.InternalServerError("", err)
		}
		for _, r := range old {
			if err := hooks.CheckRule(txApp, e, r, collection.DeleteRule, map[string]any{}); err != nil {
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
			if err := hooks.CheckCreate(txApp, e, probe, body); err != nil {
				return err
			}
		}

		for _, r := range old {
			if err := txApp.Delete(r); err != nil {
				return hooks.SaveError(e, err)
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

// readWindows reads the submitted {"windows": [...]}; each mistake is a
// field error keyed like "windows.2.end_time".
func readWindows(b *hooks.Body) []windowInput {
	list := b.List("windows")
	switch {
	case !b.Has("windows"):
		b.Add("windows", validation.ErrRequired)
		return nil
	case b.Failed("windows"):
		return nil
	case len(list) > maxWindowsPerTeacher:
		b.Add("windows", validation.NewError("validation_too_many", fmt.Sprintf("Must hold at most %d windows.", maxWindowsPerTeacher)))
		return nil
	}

	inputs := make([]windowInput, len(list))
	for i := range list {
		if w := b.Item("windows", list, i); w != nil {
			inputs[i] = readWindow(w)
		}
	}
	if len(b.Errs) > 0 {
		return nil
	}

	windows := make([]scheduling.WeeklyWindow, len(inputs))
	for i, in := range inputs {
		windows[i] = in.window
	}
	if i, j := scheduling.FirstOverlap(windows); i >= 0 {
		b.Add(fmt.Sprintf("windows.%d.start_time", j), validation.NewError("validation_overlap",
			fmt.Sprintf("Overlaps window %d (%s %s–%s).", i, windows[i].Weekday, windows[i].Start, windows[i].End)))
		return nil
	}
	return inputs
}

// readWindow reads one window's fields; a clock or weekday of the wrong
// type is named as an invalid clock or weekday.
func readWindow(w *hooks.Body) windowInput {
	var win scheduling.WeeklyWindow
	fresh := len(w.Errs)

	switch d, ok := w.Data["weekday"].(float64); {
	case !w.Has("weekday"):
		w.Add("weekday", validation.ErrRequired)
	case !ok || d != math.Trunc(d) || d < 0 || d > 6:
		w.Add("weekday", validation.NewError("validation_invalid_weekday", "Must be a whole number from 0 (Sunday) to 6 (Saturday)."))
	default:
		win.Weekday = time.Weekday(d)
	}

	clock := func(name string) scheduling.Clock {
		s, ok := w.Data[name].(string)
		if !w.Has(name) || (ok && s == "") {
			w.Add(name, validation.ErrRequired)
			return 0
		}
		c, err := scheduling.ParseClock(s)
		if !ok || err != nil {
			w.Add(name, validation.NewError("validation_invalid_clock", "Must be a time of day as HH:MM (00:00 to 24:00)."))
		}
		return c
	}
	win.Start = clock("start_time")
	win.End = clock("end_time")
	win.ValidFrom = w.Date("valid_from")
	win.ValidTo = w.Date("valid_to")

	if len(w.Errs) == fresh {
		switch err := win.Validate(); err {
		case nil:
		case scheduling.ErrWindowEndBeforeStart:
			w.Add("end_time", validation.NewError("validation_end_before_start", "Must be after the start time."))
		case scheduling.ErrWindowValidity:
			w.Add("valid_to", validation.NewError("validation_valid_to_before_from", "Must not be before valid_from."))
		default:
			w.Add("start_time", validation.NewError("validation_invalid_window", err.Error()))
		}
	}
	if len(w.Errs) > fresh {
		return windowInput{}
	}

	return windowInput{window: win, record: map[string]any{
		"weekday":    int(win.Weekday),
		"start_time": win.Start.String(),
		"end_time":   win.End.String(),
		"valid_from": dateValue(win.ValidFrom),
		"valid_to":   dateValue(win.ValidTo),
	}}
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
	if apiErr := hooks.AsAPIError(err); apiErr != nil {
		return apiErr
	}
	var ve validation.Errors
	if errors.As(err, &ve) {
		named := validation.Errors{}
		for field, fe := range ve {
			named[fmt.Sprintf("windows.%d.%s", i, field)] = fe
		}
		return e.BadRequestError("Invalid submitted data.", named)
	}
	return e.BadRequestError("Failed to save the availability windows.", err)
}
