package publicapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/hooks"
	"cedarheights/scheduling"
)

// public_timeslots.go: GET /api/v1/public/timeslots, the free trial slots
// a visitor may pick: availability − lessons (with buffers) − time off −
// closures − the past, for public, active teachers of an instrument. It
// reveals no student and no lesson, only free times.

// maxTimeslotDays caps the date range of one request.
const maxTimeslotDays = 31

// defaultMinutes and defaultStep are the lesson length and grid a request
// that names none asks for (freetime warms this shape first).
const (
	defaultMinutes = "30"
	defaultStep    = "30"
)

type timeslot struct {
	Teacher     string    `json:"teacher"`
	TeacherName string    `json:"teacher_name"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	LocalDate   string    `json:"local_date"`
	LocalStart  string    `json:"local_start"`
}

// ListPublicTimeslots answers from the free-time cache (freetime/): an
// anonymous caller's answer depends only on the query, the rows the cache's
// counter watches and the clock, so it is derived once per query and kept
// until one of those rows changes or its first slot begins. Signed-in
// callers (whose rules may show more) and field picking derive afresh.
func ListPublicTimeslots(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	if e.Auth != nil || q.Has("fields") {
		body, _, err := deriveTimeslots(e)
		if err != nil {
			return err
		}
		return e.Blob(http.StatusOK, "application/json", body)
	}
	body, err := freetime.For(e.App).Answer(e.App, timeslotsKey(q), func() ([]byte, time.Time, error) {
		return deriveTimeslots(e)
	})
	if err != nil {
		return err
	}
	return e.Blob(http.StatusOK, "application/json", body)
}

// timeslotsKey names an anonymous answer by the parameters
// deriveTimeslots reads, defaults filled in: the booking page (which names
// no length) and a caller asking minutes=30 share one kept answer, and so
// do both with the one the warm-up keeps (timeslots_warm.go).
func timeslotsKey(q url.Values) string {
	k := url.Values{}
	for _, name := range []string{"instrument", "teacher", "from", "to"} {
		if v := q.Get(name); v != "" {
			k.Set(name, v)
		}
	}
	k.Set("minutes", cmp.Or(q.Get("minutes"), defaultMinutes))
	k.Set("step", cmp.Or(q.Get("step"), defaultStep))
	return "timeslots?" + k.Encode()
}

// deriveTimeslots validates the query and encodes its answer; until is the
// first slot's start (the answer holds while none has begun).
func deriveTimeslots(e *core.RequestEvent) (body []byte, until time.Time, err error) {
	settings, err := academy.Load(e.App)
	if err != nil {
		return nil, until, e.InternalServerError("", err)
	}
	q := e.Request.URL.Query()
	params := struct {
		Instrument string `json:"instrument"`
		Teacher    string `json:"teacher"`
		Minutes    string `json:"minutes"`
		From       string `json:"from"`
		To         string `json:"to"`
		Step       string `json:"step"`
	}{
		q.Get("instrument"), q.Get("teacher"), q.Get("minutes"), q.Get("from"), q.Get("to"), q.Get("step"),
	}
	params.Minutes = cmp.Or(params.Minutes, defaultMinutes)
	params.Step = cmp.Or(params.Step, defaultStep)
	var from, to time.Time
	localDate := func(dst *time.Time) validation.RuleFunc {
		return func(v any) error {
			d, err := time.ParseInLocation(time.DateOnly, v.(string), settings.Zone)
			if err != nil {
				return validation.NewError("validation_invalid_date", "Must be a date such as 2026-03-02.")
			}
			*dst = d
			return nil
		}
	}
	err = validation.ValidateStruct(&params,
		validation.Field(&params.Instrument, validation.Required, hooks.IsRecordID),
		validation.Field(&params.Teacher, hooks.IsRecordID),
		validation.Field(&params.Minutes, validation.By(hooks.WholeNumber(15, 180))),
		validation.Field(&params.Step, validation.By(hooks.WholeNumber(5, 120))),
		validation.Field(&params.From, validation.Required, validation.By(localDate(&from))),
		validation.Field(&params.To, validation.Required, validation.By(localDate(&to))),
	)
	if err == nil {
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case to.Before(from):
			err = validation.Errors{"to": validation.NewError("validation_range", "Must not be before from.")}
		case days > maxTimeslotDays:
			err = validation.Errors{"to": validation.NewError("validation_range_too_long", "The range is at most "+strconv.Itoa(maxTimeslotDays)+" days.")}
		}
	}
	if err != nil {
		return nil, until, e.BadRequestError("Invalid query parameters.", err)
	}
	minutes, _ := strconv.Atoi(params.Minutes)
	step, _ := strconv.Atoi(params.Step)

	if _, err := hooks.FindVisible(e, "instruments", params.Instrument); err != nil {
		return nil, until, e.BadRequestError("Invalid query parameters.", validation.Errors{"instrument": validation.NewError("validation_unknown_record", "Unknown instrument.")})
	}
	filter := "public = true && active = true && instruments:each ?= {:instrument} && lesson_lengths:each ?= {:minutes}"
	p := dbx.Params{"instrument": params.Instrument, "minutes": params.Minutes}
	if params.Teacher != "" {
		filter += " && id = {:teacher}"
		p["teacher"] = params.Teacher
	}
	_, teachers, err := hooks.ListVisible(e, "teachers", hooks.ListQuery{Filter: filter, Params: p, PerPage: hooks.MaxPerPage, SkipTotal: true, Sort: "display_name,id"})
	if err != nil {
		return nil, until, err
	}
	if params.Teacher != "" && len(teachers) == 0 {
		return nil, until, e.BadRequestError("Invalid query parameters.", validation.Errors{"teacher": validation.NewError("validation_unknown_record",
			"Unknown teacher, or not one who teaches this instrument for this length publicly.")})
	}

	ids := make([]string, len(teachers))
	names := map[string]string{}
	for i, t := range teachers {
		ids[i] = t.Id
		names[t.Id] = t.GetString("display_name")
	}
	span := scheduling.Interval{Start: from.UTC(), End: to.AddDate(0, 0, 1).UTC()}
	free, err := freetime.For(e.App).Slots(e.App, settings, ids, scheduling.SlotQuery{From: span.Start, To: span.End, Minutes: minutes, Step: time.Duration(step) * time.Minute})
	if err != nil {
		return nil, until, e.InternalServerError("", err)
	}
	slots := []timeslot{}
	for _, id := range ids {
		for _, s := range free[id] {
			local := s.Start.In(settings.Zone)
			slots = append(slots, timeslot{Teacher: id, TeacherName: names[id], Start: s.Start, End: s.End, LocalDate: local.Format(time.DateOnly), LocalStart: local.Format("15:04")})
		}
	}
	slices.SortStableFunc(slots, func(a, b timeslot) int { return a.Start.Compare(b.Start) })
	if len(slots) > 0 {
		until = slots[0].Start
	}
	body, err = jsonBody(e, map[string]any{
		"zone": settings.Zone.String(), "from": params.From, "to": params.To, "minutes": minutes, "slots": slots,
	})
	return body, until, err
}

// jsonBody encodes v as e.JSON would write it, `fields` picking included.
func jsonBody(e *core.RequestEvent, v any) ([]byte, error) {
	if fields := e.Request.URL.Query().Get("fields"); fields != "" {
		picked, err := picker.Pick(v, fields)
		if err != nil {
			return nil, err
		}
		v = picked
	}
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
