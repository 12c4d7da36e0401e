package publicapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/freetime"
	"cedarheights/hooks"
)

// timeslots_warm.go: after a start, the first visitor of each instrument
// derived the anonymous timeslots answer, and every request for it waited
// (p95 220 ms at 200 req/s at ten times the seed). The warm-up
// (freetime/warm.go) keeps these answers once it has warmed their weeks.

// WarmTimeslots keeps, for each instrument a public, active teacher
// teaches, the anonymous answer the academy's booking page asks for first
// (pb_public/js/public.js: the week from today, the default length and
// grid), derived as the route derives it for an anonymous caller. An
// instrument the route refuses (one hidden from visitors) is skipped: a
// visitor gets the same 400.
func WarmTimeslots(app core.App) error {
	settings, err := academy.Load(app)
	if err != nil {
		return err
	}
	teachers, err := app.FindRecordsByFilter("teachers", "public = true && active = true", "id", 0, 0)
	if err != nil {
		return err
	}
	var instruments []string
	seen := map[string]bool{}
	for _, t := range teachers {
		for _, id := range t.GetStringSlice("instruments") {
			if !seen[id] {
				seen[id] = true
				instruments = append(instruments, id)
			}
		}
	}
	today := time.Now().In(settings.Zone)
	from, to := today.Format(time.DateOnly), today.AddDate(0, 0, 6).Format(time.DateOnly)
	cache := freetime.For(app)
	for _, id := range instruments {
		q := url.Values{"instrument": {id}, "from": {from}, "to": {to}}
		req, err := http.NewRequest(http.MethodGet, "/api/v1/public/timeslots?"+q.Encode(), http.NoBody)
		if err != nil {
			return err
		}
		e := &core.RequestEvent{App: app} // an anonymous caller
		e.Request = req
		_, err = cache.Answer(app, timeslotsKey(q), func() ([]byte, time.Time, error) { return deriveTimeslots(e) })
		if apiErr := hooks.AsAPIError(err); apiErr != nil && apiErr.Status < http.StatusInternalServerError {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}
