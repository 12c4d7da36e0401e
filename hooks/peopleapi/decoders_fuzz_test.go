package peopleapi

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
	"cedarheights/internal/decodertest"
	"cedarheights/scheduling"
)

// decoders_fuzz_test.go: go test -fuzz targets for the students' and teachers'
// list parameters and a teacher's week of availability (the shared
// decoders are fuzzed in hooks/decoders_fuzz_test.go). Their seeds run with
// every `go test`.

// FuzzPeopleListParams: the students' and teachers' lists' query parameters are accepted or refused
// field by field, and accepted pagination stays within its bounds.
func FuzzPeopleListParams(f *testing.F) {
	for _, s := range decodertest.ListParamSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		decodertest.ListParams(t, raw, map[string]func(url.Values) error{
			"students": func(q url.Values) error {
				f := studentFilters{Status: q.Get("status"), Instrument: q.Get("instrument"), Teacher: q.Get("teacher"),
					Parent: q.Get("parent"), Q: q.Get("q"), IncludeDeleted: q.Get("include_deleted")}
				return hooks.MergeErrors(f.validate(), hooks.ReadPageParams(pageQuery(q)).Validate(studentSorts))
			},
			"teachers": func(q url.Values) error {
				f := teacherFilters{Instrument: q.Get("instrument"), Q: q.Get("q")}
				return hooks.MergeErrors(f.validate(), hooks.ReadPageParams(pageQuery(q)).Validate(teacherSorts))
			},
		}, pageOf, hooks.MaxPerPage)
	})
}

// pageQuery is a list request with query q.
func pageQuery(q url.Values) *core.RequestEvent {
	return decodertest.Event(http.MethodGet, "/?"+q.Encode(), "", nil)
}

// pageOf is the page a list route reads from q.
func pageOf(q url.Values) (page, perPage int) {
	var lq hooks.ListQuery
	hooks.ReadPageParams(pageQuery(q)).Apply(&lq, map[string]string{"": ""}, "")
	return lq.Page, lq.PerPage
}

var windowField = regexp.MustCompile(`^windows(\.\d+(\.(weekday|start_time|end_time|valid_from|valid_to))?)?$`)

// FuzzAvailabilityWindows: a week of windows is refused field by field, or
// every window reads back as sent (weekday, HH:MM clocks) and no two
// overlap.
func FuzzAvailabilityWindows(f *testing.F) {
	for _, s := range []string{
		`{"windows":[]}`, `{"windows":[{"weekday":1,"start_time":"15:00","end_time":"19:00"}]}`,
		`{"windows":[{"weekday":1,"start_time":"15:00","end_time":"19:00"},{"weekday":1,"start_time":"18:00","end_time":"20:00"}]}`,
		`{"windows":[{"weekday":7,"start_time":"24:00","end_time":"23:00","valid_from":"2026-02-01","valid_to":"2026-01-01"}]}`,
		`{"windows":[{"weekday":1.5,"start_time":900,"end_time":""}, 3, null]}`, `{"windows":{}}`, `{}`,
		`{"windows":[{"weekday":0,"start_time":"00:00","end_time":"24:00","valid_from":"2026-01-01 00:00:00.000Z"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := decodertest.Event(http.MethodPut, "/", "application/json", raw)
		b, err := hooks.ReadBody(e)
		if err != nil {
			return
		}
		inputs := readWindows(b)
		if err := b.Check(e); err != nil {
			decodertest.RequireFieldErrors(t, err, windowField)
			return
		}
		windows := make([]scheduling.WeeklyWindow, len(inputs))
		for i, in := range inputs {
			windows[i] = in.window
			sent := b.Data["windows"].([]any)[i].(map[string]any)
			if float64(in.record["weekday"].(int)) != sent["weekday"].(float64) ||
				in.record["start_time"] != sent["start_time"] || in.record["end_time"] != sent["end_time"] {
				t.Fatalf("window %d saved as %v, sent %v", i, in.record, sent)
			}
			if err := in.window.Validate(); err != nil {
				t.Fatalf("window %d accepted but invalid: %v", i, err)
			}
		}
		if i, j := scheduling.FirstOverlap(windows); i >= 0 {
			t.Fatalf("windows %d and %d overlap", i, j)
		}
	})
}
