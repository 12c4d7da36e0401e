package lessonsapi

import (
	"fmt"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"cedarheights/hooks"
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

// readLessonInput reads a lesson body; mistyped fields are recorded on b.
func readLessonInput(b *hooks.Body) lessonInput {
	in := lessonInput{
		Teacher: b.Str("teacher"), Student: b.Str("student"), Instrument: b.Str("instrument"), Room: b.Str("room"),
		Start: b.Str("start"), Minutes: int(b.Int("minutes")), Kind: b.Str("kind"),
		DryRun: b.Bool("dry_run"), Limit: int(b.Int("limit")),
	}
	if r := b.Object("recurrence"); r != nil {
		in.Recurrence = &recurrenceInput{Count: int(r.Int("count")), Until: r.Str("until"), RRule: r.Str("rrule")}
	}
	return in
}

// validate records on b what is wrong with the input's shape (ids,
// ranges, formats); whether the records exist and may be seen is checked
// against the database after, for the ids that are well formed.
func (in *lessonInput) validate(b *hooks.Body, zone *time.Location) {
	if in.Kind == "" {
		in.Kind = "regular"
	}
	b.AddAll(validation.ValidateStruct(in,
		validation.Field(&in.Teacher, validation.Required, hooks.IsRecordID),
		validation.Field(&in.Student, validation.Required, hooks.IsRecordID),
		validation.Field(&in.Instrument, hooks.IsRecordID),
		validation.Field(&in.Room, hooks.IsRecordID),
		validation.Field(&in.Start, validation.Required, validation.By(func(any) error {
			_, err := parseInstant(in.Start, zone)
			return err
		})),
		validation.Field(&in.Minutes, validation.Required, validation.Min(15), validation.Max(180)),
		validation.Field(&in.Kind, validation.In(lessonKinds...).Error("Must be trial, regular or makeup.")),
		validation.Field(&in.Limit, validation.Min(0), validation.Max(maxAlternatives)),
	), "")
	if in.Recurrence == nil {
		return
	}
	r := in.Recurrence
	if r.Count < 0 || r.Count > scheduling.MaxOccurrences {
		b.Add("recurrence.count", validation.NewError("validation_out_of_range", fmt.Sprintf("Must be from 1 to %d.", scheduling.MaxOccurrences)))
	}
	if r.Until != "" {
		if _, err := parseInstant(r.Until, zone); err != nil {
			b.Add("recurrence.until", err)
		}
	}
	if len(b.Errs) == 0 {
		if _, err := in.occurrences(zone); err != nil {
			field := "recurrence"
			if r.RRule != "" {
				field = "recurrence.rrule"
			}
			b.Add(field, validation.NewError("validation_invalid_recurrence", err.Error()))
		}
	}
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
			return storable(t)
		}
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return storable(t)
		}
	}
	return time.Time{}, errInstant
}

// storable keeps instants whose UTC year has four digits, with a year to
// spare: PocketBase stores dates as "2006-01-02 15:04:05.000Z", so
// 9999-12-31T20:00-08:00 (the year 10000 in UTC) would not read back, and a
// lesson starting on 9999-12-31 ends, or is offered alternatives, in it (a
// 409 whose JSON could not be written: found by the HTTP fuzz driver).
func storable(t time.Time) (time.Time, error) {
	t = t.UTC()
	if t.Year() < 1000 || t.Year() > 9998 {
		return time.Time{}, errInstant
	}
	return t, nil
}
