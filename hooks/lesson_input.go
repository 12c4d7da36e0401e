package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/scheduling"
)

// lesson_input.go reads the lesson bodies of /api/v1/lessons and
// /api/v1/lessons/check-conflicts into a scheduling.Request, naming the
// field of every mistake.

// lessonInput is what a client sends to place one lesson or a series.
type lessonInput struct {
	Teacher    string           `json:"teacher"`
	Student    string           `json:"student"`
	Instrument string           `json:"instrument"`
	Room       string           `json:"room"`
	Start      string           `json:"start"`
	Minutes    int              `json:"minutes"`
	Kind       string           `json:"kind"`
	Recurrence *recurrenceInput `json:"recurrence"`
	DryRun     bool             `json:"dry_run"`
	Limit      int              `json:"limit"`
}

type recurrenceInput struct {
	Count int    `json:"count"`
	Until string `json:"until"`
	RRule string `json:"rrule"`
}

// maxAlternatives caps ?limit= / "limit".
const maxAlternatives = 20

var lessonKinds = []any{"trial", "regular", "makeup"}

// readJSON decodes the body into dst; malformed JSON and wrong value types
// become a 400 naming the field.
func readJSON(e *core.RequestEvent, dst any) error {
	err := e.BindBody(dst)
	if err == nil {
		return nil
	}
	if apiErr := asApiError(err); apiErr != nil {
		return apiErr // e.g. 413 from the body limit
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return e.BadRequestError("Invalid submitted data.", validation.Errors{
			typeErr.Field: validation.NewError("validation_invalid_type", fmt.Sprintf("Must be a %s.", jsonKind(typeErr.Type.Kind().String()))),
		})
	}
	return e.BadRequestError("The body must be a JSON object.", err)
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "bool":
		return "boolean"
	case goKind == "ptr", goKind == "struct", goKind == "map":
		return "object"
	default:
		return goKind
	}
}

// validate checks the shape of the input (ids, ranges, formats); whether
// the records exist and may be seen is checked against the database after.
func (in *lessonInput) validate(zone *time.Location) error {
	if in.Kind == "" {
		in.Kind = "regular"
	}
	err := validation.ValidateStruct(in,
		validation.Field(&in.Teacher, validation.Required, isRecordId),
		validation.Field(&in.Student, validation.Required, isRecordId),
		validation.Field(&in.Instrument, isRecordId),
		validation.Field(&in.Room, isRecordId),
		validation.Field(&in.Start, validation.Required, validation.By(func(any) error {
			_, err := parseInstant(in.Start, zone)
			return err
		})),
		validation.Field(&in.Minutes, validation.Required, validation.Min(15), validation.Max(180)),
		validation.Field(&in.Kind, validation.In(lessonKinds...).Error("Must be trial, regular or makeup.")),
		validation.Field(&in.Limit, validation.Min(0), validation.Max(maxAlternatives)),
	)
	errs, _ := err.(validation.Errors)
	if err != nil && errs == nil {
		return err
	}
	if errs == nil {
		errs = validation.Errors{}
	}
	if in.Recurrence != nil {
		r := in.Recurrence
		if r.Count < 0 || r.Count > scheduling.MaxOccurrences {
			errs["recurrence.count"] = validation.NewError("validation_out_of_range", fmt.Sprintf("Must be from 1 to %d.", scheduling.MaxOccurrences))
		}
		if r.Until != "" {
			if _, err := parseInstant(r.Until, zone); err != nil {
				errs["recurrence.until"] = err
			}
		}
		if _, ok := errs["start"]; !ok && len(errs) == 0 {
			if _, err := in.occurrences(zone); err != nil {
				field := "recurrence"
				if r.RRule != "" {
					field = "recurrence.rrule"
				}
				errs[field] = validation.NewError("validation_invalid_recurrence", err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// request is the validated input as a scheduling request.
func (in *lessonInput) request(zone *time.Location) scheduling.Request {
	start, _ := parseInstant(in.Start, zone)
	return scheduling.Request{
		Teacher: in.Teacher, Student: in.Student, Room: in.Room, Instrument: in.Instrument,
		Start: start, Minutes: in.Minutes,
	}
}

// occurrences lists the series' starts (or the one start).
func (in *lessonInput) occurrences(zone *time.Location) ([]time.Time, error) {
	start, err := parseInstant(in.Start, zone)
	if err != nil {
		return nil, err
	}
	if in.Recurrence == nil {
		return []time.Time{start}, nil
	}
	until := time.Time{}
	if in.Recurrence.Until != "" {
		if until, err = parseInstant(in.Recurrence.Until, zone); err != nil {
			return nil, err
		}
		// a bare date means "through that day"
		if len(strings.TrimSpace(in.Recurrence.Until)) == len(time.DateOnly) {
			until = until.AddDate(0, 0, 1).Add(-time.Second)
		}
	}
	rec := scheduling.Recurrence{RRule: in.Recurrence.RRule, Count: in.Recurrence.Count, Until: until}
	return rec.Occurrences(start, zone)
}

var errInstant = validation.NewError("validation_invalid_datetime",
	"Must be a date-time such as 2026-03-02T16:00:00-08:00, 2026-03-02 16:00:00.000Z, or 2026-03-02T16:00 (academy time).")

// parseInstant reads an instant: RFC 3339, PocketBase's UTC format, a
// wall-clock "2026-03-02T16:00" (no offset) read in the academy's zone, or
// a bare date (midnight, academy time).
func parseInstant(s string, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.000Z07:00", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errInstant
}
