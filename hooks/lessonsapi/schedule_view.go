package lessonsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/hooks"
	"cedarheights/lessons"
)

// schedule_view.go: GET /api/v1/lessons/schedule/view, a week (Monday to
// Sunday) or a month of lessons grouped by day in the academy's zone. The
// lessons rules scope it: a teacher sees its own, a parent its family's,
// an admin all; ?teacher= and ?room= narrow it further.

type scheduleDay struct {
	Date    string         `json:"date"`
	Weekday string         `json:"weekday"`
	Lessons []*core.Record `json:"lessons"`
}

type scheduleResponse struct {
	Zone string        `json:"zone"`
	View string        `json:"view"`
	From string        `json:"from"`
	To   string        `json:"to"`
	Days []scheduleDay `json:"days"`
}

// maxScheduleLessons bounds one view (a month of a busy academy fits).
const maxScheduleLessons = 5000

func ScheduleView(e *core.RequestEvent) error {
	free, err := freetime.For(e.App).At(e.App)
	if err != nil {
		return e.InternalServerError("", err)
	}
	settings, err := free.Settings()
	if err != nil {
		return e.InternalServerError("", err)
	}
	q := e.Request.URL.Query()
	params := struct {
		View    string `json:"view"`
		Date    string `json:"date"`
		Teacher string `json:"teacher"`
		Room    string `json:"room"`
	}{q.Get("view"), q.Get("date"), q.Get("teacher"), q.Get("room")}
	if params.View == "" {
		params.View = "week"
	}
	var day time.Time
	err = validation.ValidateStruct(&params,
		validation.Field(&params.View, validation.In("week", "month").Error("Must be week or month.")),
		validation.Field(&params.Date, validation.By(func(any) error {
			if params.Date == "" {
				day = time.Now().In(settings.Zone)
				return nil
			}
			d, err := time.ParseInLocation(time.DateOnly, params.Date, settings.Zone)
			if err != nil {
				return validation.NewError("validation_invalid_date", "Must be a date such as 2026-03-02.")
			}
			day = d
			return nil
		})),
		validation.Field(&params.Teacher, hooks.IsRecordID),
		validation.Field(&params.Room, hooks.IsRecordID),
	)
	if err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}

	from, to := viewRange(params.View, day, settings.Zone)
	build := func() (*scheduleResponse, error) {
		return buildScheduleView(e, settings, params.View, params.Teacher, params.Room, from, to)
	}

	// A caller who sees every lesson (an admin) gets an answer made of the
	// lessons and the settings alone, both watched by the free-time counter:
	// it is encoded once per counter value and query. Expanding or picking
	// fields, and everyone whose rule reads other rows, derive afresh.
	all, err := hooks.SeesAll(e, "lessons")
	if err != nil {
		return err
	}
	if all && onlyParams(q, "view", "date", "teacher", "room") {
		key := fmt.Sprintf("schedule-view:%t:%s:%s:%s:%s", hooks.IsSuperuser(e), params.View, hooks.DBTime(from), params.Teacher, params.Room)
		body, err := free.Answer(key, func() ([]byte, time.Time, error) {
			res, err := build()
			if err != nil {
				return nil, time.Time{}, err
			}
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(res); err != nil { // as e.JSON encodes
				return nil, time.Time{}, err
			}
			return buf.Bytes(), time.Time{}, nil
		})
		if err != nil {
			if apiErr := hooks.AsAPIError(err); apiErr != nil {
				return apiErr
			}
			return e.InternalServerError("", err)
		}
		return e.Blob(http.StatusOK, "application/json", body)
	}
	res, err := build()
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, res)
}

// onlyParams reports whether q names no parameter but these.
func onlyParams(q url.Values, names ...string) bool {
	for name := range q {
		if !slices.Contains(names, name) {
			return false
		}
	}
	return true
}

// buildScheduleView lists the lessons of [from, to) the caller may see,
// narrowed to teacher and room when given, grouped by local day.
func buildScheduleView(e *core.RequestEvent, settings academy.Settings, view, teacher, room string, from, to time.Time) (*scheduleResponse, error) {
	// start >= earliest keeps the start index range to the view's days.
	conds := []string{"start >= {:earliest}", "start < {:to}", "end > {:from}"}
	p := dbx.Params{"from": hooks.DBTime(from), "to": hooks.DBTime(to), "earliest": hooks.DBTime(from.Add(-lessons.MaxLength))}
	if teacher != "" {
		conds = append(conds, "teacher = {:teacher}")
		p["teacher"] = teacher
	}
	if room != "" {
		conds = append(conds, "room = {:room}")
		p["room"] = room
	}
	_, lessons, err := hooks.ListVisible(e, "lessons", hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: p, Sort: "start,id", PerPage: maxScheduleLessons, SkipTotal: true})
	if err != nil {
		return nil, err
	}
	if err := enrichLessons(e, settings, lessons); err != nil {
		return nil, err
	}

	res := &scheduleResponse{Zone: settings.Zone.String(), View: view, From: from.In(settings.Zone).Format(time.DateOnly), To: to.In(settings.Zone).AddDate(0, 0, -1).Format(time.DateOnly)}
	byDate := map[string]int{}
	for d := from.In(settings.Zone); d.Before(to); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		byDate[key] = len(res.Days)
		res.Days = append(res.Days, scheduleDay{Date: key, Weekday: d.Weekday().String(), Lessons: []*core.Record{}})
	}
	for _, l := range lessons {
		key := l.GetDateTime("start").Time().In(settings.Zone).Format(time.DateOnly)
		if i, ok := byDate[key]; ok {
			res.Days[i].Lessons = append(res.Days[i].Lessons, l)
		}
	}
	return res, nil
}

// viewRange is the [from, to) of the week (Monday first) or month holding
// day, as instants of local midnights, so a week across a DST change is
// still seven local days.
func viewRange(view string, day time.Time, zone *time.Location) (time.Time, time.Time) {
	d := day.In(zone)
	if view == "month" {
		from := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, zone)
		return from.UTC(), from.AddDate(0, 1, 0).UTC()
	}
	offset := (int(d.Weekday()) + 6) % 7 // days since Monday
	from := time.Date(d.Year(), d.Month(), d.Day()-offset, 0, 0, 0, 0, zone)
	return from.UTC(), from.AddDate(0, 0, 7).UTC()
}
