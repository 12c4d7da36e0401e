package records

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/scheduling"
)

// recordChecks are the rules PocketBase's field options cannot express, per
// collection. Each returns the offending fields (nil when valid). They run
// on OnRecordValidate, so every write path gets them, and their errors join
// PocketBase's own field errors: the API answers one 400 naming each field.
var recordChecks = map[string]func(r *core.Record) validation.Errors{
	"users":        checkTimezone,
	"academy":      checkTimezone,
	"time_off":     checkEndAfterStart,
	"closures":     checkEndAfterStart,
	"lessons":      checkEndAfterStart,
	"availability": checkAvailabilityWindow,
	"students":     checkBirthDate,
}

var (
	errInvalidTimezone = validation.NewError("validation_invalid_timezone", "Must be an IANA time zone such as America/Vancouver.")
	errEndBeforeStart  = validation.NewError("validation_end_before_start", "Must be after the start.")
	errValidToBefore   = validation.NewError("validation_valid_to_before_valid_from", "Must not be before valid_from.")
	errBornInFuture    = validation.NewError("validation_date_in_future", "Must not be in the future.")
)

func bindValidation(app core.App) {
	app.OnRecordValidate(slices.Collect(maps.Keys(recordChecks))...).BindFunc(func(e *core.RecordEvent) error {
		own := recordChecks[e.Record.Collection().Name](e.Record)
		return joinFieldErrors(e.Next(), own)
	})

	// The overlap check reads the teacher's other windows, so it runs where
	// the write runs: inside the write's transaction (the audit log's, or a
	// route's that replaces a week), atomic with the insert and seeing rows
	// the transaction already deleted.
	app.OnRecordCreateExecute("availability").BindFunc(checkAvailabilityOverlap)
	app.OnRecordUpdateExecute("availability").BindFunc(checkAvailabilityOverlap)
}

// joinFieldErrors adds own to PocketBase's field errors, keeping PocketBase's
// message where both name a field.
func joinFieldErrors(err error, own validation.Errors) error {
	if len(own) == 0 {
		return err
	}
	if err == nil {
		return own
	}
	var base validation.Errors
	if !errors.As(err, &base) {
		return err
	}
	for field, fieldErr := range own {
		if _, ok := base[field]; !ok {
			base[field] = fieldErr
		}
	}
	return base
}

// checkTimezone: empty is left to the field's Required option.
func checkTimezone(r *core.Record) validation.Errors {
	tz := r.GetString("timezone")
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return validation.Errors{"timezone": errInvalidTimezone}
	}
	return nil
}

// checkEndAfterStart: missing dates are left to the fields' Required option.
func checkEndAfterStart(r *core.Record) validation.Errors {
	start, end := r.GetDateTime("start"), r.GetDateTime("end")
	if start.IsZero() || end.IsZero() || end.After(start) {
		return nil
	}
	return validation.Errors{"end": errEndBeforeStart}
}

func checkBirthDate(r *core.Record) validation.Errors {
	born := r.GetDateTime("birth_date")
	if born.IsZero() || !born.Time().After(time.Now()) {
		return nil
	}
	return validation.Errors{"birth_date": errBornInFuture}
}

func checkAvailabilityWindow(r *core.Record) validation.Errors {
	w, ok := availabilityWindow(r)
	if !ok {
		return nil // malformed times: the fields' pattern reports them
	}
	switch w.Validate() {
	case scheduling.ErrWindowEndBeforeStart:
		return validation.Errors{"end_time": errEndBeforeStart}
	case scheduling.ErrWindowValidity:
		return validation.Errors{"valid_to": errValidToBefore}
	}
	return nil
}

func checkAvailabilityOverlap(e *core.RecordEvent) error {
	return inTransaction(e, func() error {
		w, ok := availabilityWindow(e.Record)
		if !ok {
			return e.Next()
		}
		others, err := e.App.FindAllRecords("availability",
			dbx.HashExp{"teacher": e.Record.GetString("teacher"), "weekday": e.Record.GetInt("weekday")},
			dbx.Not(dbx.HashExp{"id": e.Record.Id}),
		)
		if err != nil {
			return err
		}
		for _, other := range others {
			o, ok := availabilityWindow(other)
			if ok && w.Overlaps(o) {
				return validation.Errors{"start_time": validation.NewError(
					"validation_availability_overlap",
					fmt.Sprintf("Overlaps the teacher's %s–%s window on the same weekday.", o.Start, o.End),
				)}
			}
		}
		return e.Next()
	})
}

func availabilityWindow(r *core.Record) (scheduling.WeeklyWindow, bool) {
	start, err1 := scheduling.ParseClock(r.GetString("start_time"))
	end, err2 := scheduling.ParseClock(r.GetString("end_time"))
	if err1 != nil || err2 != nil {
		return scheduling.WeeklyWindow{}, false
	}
	return scheduling.WeeklyWindow{
		Weekday:   time.Weekday(r.GetInt("weekday")),
		Start:     start,
		End:       end,
		ValidFrom: r.GetDateTime("valid_from").Time(),
		ValidTo:   r.GetDateTime("valid_to").Time(),
	}, true
}
