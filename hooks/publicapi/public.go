package publicapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/freetime"
	"cedarheights/hooks"
	"cedarheights/lessons"
)

// public.go: the anonymous catalogue, /api/v1/public/teachers and
// /api/v1/public/pricing. Rows are read under the collections' ListRules and
// narrowed to what is public and active for every caller, signed in or not;
// the answer carries public fields only (no user ids, no e-mails, no Stripe
// ids). Catalogues are short, so each answers one page of up to hooks.MaxPerPage.

type publicInstrument struct {
	Id   string `json:"id"`
	Name string `json:"name"`
}

type publicTeacher struct {
	Id            string             `json:"id"`
	DisplayName   string             `json:"display_name"`
	Bio           string             `json:"bio"`
	Photo         string             `json:"photo"` // file URL path, "" when none
	Instruments   []publicInstrument `json:"instruments"`
	LessonLengths []int              `json:"lesson_lengths"` // minutes
	Levels        []string           `json:"levels"`
}

type publicPlan struct {
	Id               string `json:"id"`
	Name             string `json:"name"`
	LessonMinutes    int    `json:"lesson_minutes"`
	LessonsPerPeriod int    `json:"lessons_per_period"`
	Interval         string `json:"interval"`
	Amount           int    `json:"amount"` // minor units, e.g. cents
	Currency         string `json:"currency"`
}

// ListPublicTeachers answers anonymous callers from the free-time cache
// (freetime/), as the public timeslots do: their catalogue depends only on
// the teachers and instruments rows, which the cache's counter watches, so
// it is encoded once and kept until one of them changes. At ten times the
// seed it is 200 teachers a page, and encoding them on every request held
// 0.29× the built-in list (issue 14). Signed-in callers (whose rules may
// show more) and field picking derive afresh.
func ListPublicTeachers(e *core.RequestEvent) error {
	derive := func() ([]byte, time.Time, error) {
		body, err := derivePublicTeachers(e)
		return body, time.Time{}, err
	}
	var (
		body []byte
		err  error
	)
	if e.Auth != nil || e.Request.URL.Query().Has("fields") {
		body, _, err = derive()
	} else {
		body, err = freetime.For(e.App).Answer(e.App, "public/teachers", derive)
	}
	if err != nil {
		return err
	}
	return e.Blob(http.StatusOK, "application/json", body)
}

// derivePublicTeachers encodes the catalogue as the caller may see it.
func derivePublicTeachers(e *core.RequestEvent) ([]byte, error) {
	_, teachers, err := hooks.ListVisible(e, "teachers", hooks.ListQuery{
		Filter:    "public = true && active = true",
		Sort:      "display_name,id",
		PerPage:   hooks.MaxPerPage,
		SkipTotal: true,
	})
	if err != nil {
		return nil, err
	}

	// Instruments of the whole page in one query, active ones only.
	var ids []any
	seen := map[string]bool{}
	for _, t := range teachers {
		for _, id := range t.GetStringSlice("instruments") {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	names := map[string]string{}
	if len(ids) > 0 {
		instruments, err := hooks.AllVisible(e, "instruments", hooks.ListQuery{
			Filter: "active = true",
			Where:  []dbx.Expression{dbx.In("instruments.id", ids...)},
		})
		if err != nil {
			return nil, err
		}
		for _, in := range instruments {
			names[in.Id] = in.GetString("name")
		}
	}

	items := make([]publicTeacher, len(teachers))
	for i, t := range teachers {
		items[i] = publicTeacher{
			Id:            t.Id,
			DisplayName:   t.GetString("display_name"),
			Bio:           t.GetString("bio"),
			Photo:         fileURL(t, t.GetString("photo")),
			Instruments:   []publicInstrument{},
			LessonLengths: []int{},
			Levels:        t.GetStringSlice("levels"),
		}
		for _, id := range t.GetStringSlice("instruments") {
			if name, ok := names[id]; ok {
				items[i].Instruments = append(items[i].Instruments, publicInstrument{Id: id, Name: name})
			}
		}
		items[i].LessonLengths = append(items[i].LessonLengths, lessons.LessonLengths(t)...)
	}
	return jsonBody(e, map[string]any{"items": items})
}

func ListPublicPricing(e *core.RequestEvent) error {
	_, plans, err := hooks.ListVisible(e, "pricing_plans", hooks.ListQuery{
		Filter:    "public = true && active = true",
		Sort:      "amount,name,id",
		PerPage:   hooks.MaxPerPage,
		SkipTotal: true,
	})
	if err != nil {
		return err
	}
	items := make([]publicPlan, len(plans))
	for i, p := range plans {
		items[i] = publicPlan{
			Id:               p.Id,
			Name:             p.GetString("name"),
			LessonMinutes:    p.GetInt("lesson_minutes"),
			LessonsPerPeriod: p.GetInt("lessons_per_period"),
			Interval:         p.GetString("interval"),
			Amount:           p.GetInt("amount"),
			Currency:         p.GetString("currency"),
		}
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

// fileURL is the path PocketBase serves a record's file at.
func fileURL(r *core.Record, name string) string {
	if name == "" {
		return ""
	}
	return "/api/files/" + r.BaseFilesPath() + "/" + url.PathEscape(name)
}
