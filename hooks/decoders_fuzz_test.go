package hooks

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/scheduling"
)

// decoders_fuzz_test.go: go test -fuzz targets for the request decoders of
// the routes (body.go's reader and typed getters, the list parameters, the
// lesson, availability and enrollment bodies, the date and instant
// parsers). Their seeds run with every `go test`; a longer search:
//
//	go test -run XXX -fuzz FuzzReadBody -fuzztime 60s ./hooks/
//
// Each asserts what a client relies on: no panic, a refusal is a 400 in
// PocketBase's shape whose data names the fields, and a value that is
// accepted reads back as what was sent.

// fuzzEvent is a request event for a decoder; decoders read only the
// request.
func fuzzEvent(method, target, contentType string, raw []byte) *core.RequestEvent {
	req := httptest.NewRequest(method, "/", bytes.NewReader(raw))
	if u, err := url.Parse(target); err == nil {
		req.URL = u
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	e := &core.RequestEvent{}
	e.Request = req
	e.Response = httptest.NewRecorder()
	return e
}

// requireFieldErrors fails unless err is a 400 in PocketBase's shape whose
// data names at least one field, each matching field.
func requireFieldErrors(t *testing.T, err error, field *regexp.Regexp) {
	t.Helper()
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) {
		t.Fatalf("refusal %T %v is not an API error", err, err)
	}
	if apiErr.Status != http.StatusBadRequest || apiErr.Message == "" {
		t.Fatalf("refusal %d %q, want a 400 with a message", apiErr.Status, apiErr.Message)
	}
	if len(apiErr.Data) == 0 {
		t.Fatalf("refusal %q names no field", apiErr.Message)
	}
	for key, item := range apiErr.Data {
		// an unknown key is named as the client spelled it
		if m, _ := item.(map[string]any); !field.MatchString(key) && m["code"] != "validation_unknown_field" {
			t.Fatalf("refusal names %q, not a field of the request", key)
		}
		requireErrorItem(t, key, item)
	}
}

// requireErrorItem: a field's error is {code, message}, or (a nested
// object's) a map of its fields' errors.
func requireErrorItem(t *testing.T, key string, item any) {
	t.Helper()
	m, ok := item.(map[string]any)
	if !ok || len(m) == 0 {
		t.Fatalf("field %q error %#v is not an object", key, item)
	}
	if code, ok := m["code"].(string); ok {
		if msg, _ := m["message"].(string); code == "" || msg == "" {
			t.Fatalf("field %q error %#v has no code and message", key, item)
		}
		return
	}
	for sub, v := range m {
		requireErrorItem(t, key+"."+sub, v)
	}
}

var fuzzContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""}

// FuzzReadBody: readBody and every typed getter over every key of whatever
// body arrives.
func FuzzReadBody(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"a":1,"b":"2","c":true,"d":null,"e":[1,{"f":"g"}],"h":{"i":"2026-01-05"}}`,
		`{"n":1e300,"m":-0,"k":1.5,"s":"\ud800","d":"2026-02-30","t":"2026-01-05 10:00:00.000Z"}`,
		`{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`, `{"a":1} trailing`, "{\"a\":\"\xff\xfe\"}",
		`a=1&b=x&b=y&c=2026-01-05`, `{"n":9007199254740993,"x":{"y":{"z":[]}}}`,
	} {
		for i := range fuzzContentTypes {
			f.Add([]byte(seed), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, ct uint8) {
		e := fuzzEvent(http.MethodPost, "/x", fuzzContentTypes[int(ct)%len(fuzzContentTypes)], raw)
		b, err := readBody(e)
		if err != nil {
			var apiErr *router.ApiError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("unreadable body answered %v, want a 400", err)
			}
			return
		}
		readEveryKey(t, b, 0)
		if err := b.check(e); err != nil {
			// every getter read every key here, "" too: any key the body had
			requireFieldErrors(t, err, regexp.MustCompile(`(?s)^.*$`))
			var apiErr *router.ApiError
			errors.As(err, &apiErr)
			if len(apiErr.Data) != len(b.errs) {
				t.Fatalf("%d field errors answered as %d", len(b.errs), len(apiErr.Data))
			}
		}
	})
}

// readEveryKey reads each key with each getter and checks what a getter
// accepts is the value sent.
func readEveryKey(t *testing.T, b *body, depth int) {
	t.Helper()
	for key, value := range b.data {
		probe := &body{data: b.data, errs: validation.Errors{}}
		if s := probe.str(key); !probe.failed(key) && value != nil && value.(string) != s {
			t.Fatalf("str(%q) = %q, sent %#v", key, s, value)
		}
		probe = &body{data: b.data, errs: validation.Errors{}}
		if n := probe.int(key); !probe.failed(key) && value != nil {
			if f := value.(float64); float64(n) != f || math.Abs(f) > 1e15 {
				t.Fatalf("int(%q) = %d, sent %v", key, n, f)
			}
		}
		probe = &body{data: b.data, errs: validation.Errors{}}
		if v := probe.bool(key); !probe.failed(key) && value != nil && value.(bool) != v {
			t.Fatalf("bool(%q) = %v, sent %#v", key, v, value)
		}
		probe = &body{data: b.data, errs: validation.Errors{}}
		if d := probe.date(key); !probe.failed(key) && value != nil && value != "" {
			again, err := parseDate(dbTime(d))
			if err != nil || !again.Time().Equal(d) {
				t.Fatalf("date(%q) = %v does not read back (%v)", key, d, err)
			}
		}
		if depth < 3 {
			if o := b.object(key); o != nil {
				readEveryKey(t, o, depth+1)
			}
			if l := b.list(key); l != nil {
				for i := range l {
					if item := b.item(key, l, i); item != nil {
						readEveryKey(t, item, depth+1)
					}
				}
			}
		}
		b.str(key)
		b.int(key)
		b.optInt(key)
		b.optStr(key)
		b.bool(key)
		b.date(key)
	}
}

// FuzzParseDate: a date parseDate accepts formats back (dbTime) to the same
// instant; "" is the only empty date.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "2026-01-05", "2026-01-05 10:00:00.000Z", "2026-02-30", "0000-01-01", "9999-12-31 23:59:59.999Z",
		"2026-01-05T10:00:00+14:00", "2026-01-05 10:00:00", "１２３４-01-01", "2026-1-5", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate(s)
		if err != nil || s == "" {
			if s == "" && (err != nil || !d.IsZero()) {
				t.Fatalf(`"" read as %v, %v`, d, err)
			}
			return
		}
		if d.IsZero() {
			t.Fatalf("%q accepted as the empty date", s)
		}
		again, err := parseDate(dbTime(d.Time()))
		if err != nil || !again.Time().Equal(d.Time()) {
			t.Fatalf("%q read as %v, which reads back as %v (%v)", s, d, again, err)
		}
	})
}

// FuzzParseInstant: an accepted instant is UTC and reads back from its
// RFC 3339 form; a refusal is the one errInstant.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"2026-03-02T16:00:00-08:00", "2026-03-02 16:00:00.000Z", "2026-03-02T16:00", "2026-03-02", " 2026-03-02 ",
		"2026-03-08T02:30", "2026-11-01T01:30", "2026-03-02T25:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59", "now"} {
		f.Add(s)
	}
	zone, err := time.LoadLocation("America/Vancouver")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseInstant(s, zone)
		if err != nil {
			if ve, ok := err.(validation.Error); !ok || ve.Code() != errInstant.Code() {
				t.Fatalf("%q: error %v", s, err)
			}
			return
		}
		if at.Location() != time.UTC {
			t.Fatalf("%q read as %v, not UTC", s, at)
		}
		again, err := parseInstant(at.Format(time.RFC3339Nano), zone)
		if err != nil || !again.Equal(at) {
			t.Fatalf("%q read as %v, which reads back as %v (%v)", s, at, again, err)
		}
	})
}

// listDecoders are the list routes' query parameters: each validates its
// filters and the page parameters with its own sorts.
var listDecoders = map[string]func(url.Values) error{
	"students": func(q url.Values) error {
		f := studentFilters{Status: q.Get("status"), Instrument: q.Get("instrument"), Teacher: q.Get("teacher"),
			Parent: q.Get("parent"), Q: q.Get("q"), IncludeDeleted: q.Get("include_deleted")}
		return mergeErrors(f.validate(), pageParamsOf(q).validate(studentSorts))
	},
	"teachers": func(q url.Values) error {
		f := teacherFilters{Instrument: q.Get("instrument"), Q: q.Get("q")}
		return mergeErrors(f.validate(), pageParamsOf(q).validate(teacherSorts))
	},
	"payments": func(q url.Values) error {
		f := paymentFilters{Status: q.Get("status"), Kind: q.Get("kind"), Method: q.Get("method"), Family: q.Get("family"), Enrollment: q.Get("enrollment")}
		return mergeErrors(f.validate(), pageParamsOf(q).validate(paymentSorts))
	},
	"workflow runs": func(q url.Values) error {
		f := workflowRunFilters{Status: q.Get("status"), Name: q.Get("name"), Subject: q.Get("subject"), Owner: q.Get("owner")}
		return mergeErrors(f.validate(), pageParamsOf(q).validate(workflowRunSorts))
	},
}

func pageParamsOf(q url.Values) pageParams {
	return pageParams{Page: q.Get("page"), PerPage: q.Get("per_page"), Sort: q.Get("sort"), SkipTotal: q.Get("skip_total")}
}

var queryParamName = regexp.MustCompile(`^(status|instrument|teacher|parent|q|include_deleted|kind|method|family|enrollment|name|subject|owner|page|per_page|sort|skip_total)$`)

// FuzzListParams: every list's query parameters are accepted or refused
// field by field, and accepted pagination stays within its bounds.
func FuzzListParams(f *testing.F) {
	for _, s := range []string{"", "page=1&per_page=200", "page=0", "per_page=201", "page=-1", "page=1e3", "page=99999999999999999999",
		"sort=-created", "sort=name;DROP TABLE students", "status=active&q=%27%20OR%201%3D1--", "skip_total=yes", "teacher=abc",
		"q=" + strings.Repeat("é", 101), "owner=%ff%fe", "name=Enrollment", "sort=amount&sort=x", "%zz=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http drops such pairs before a route sees them
		}
		for name, decode := range listDecoders {
			err := decode(q)
			if err == nil {
				var lq listQuery
				pageParamsOf(q).apply(&lq, map[string]string{"": ""}, "")
				if lq.Page < 0 || lq.Page > 1_000_000 || lq.PerPage < 1 || lq.PerPage > maxPerPage {
					t.Fatalf("%s: %q accepted as page %d of %d", name, raw, lq.Page, lq.PerPage)
				}
				continue
			}
			var fields validation.Errors
			if !errors.As(err, &fields) || len(fields) == 0 {
				t.Fatalf("%s: refusal %v names no parameter", name, err)
			}
			e := fuzzEvent(http.MethodGet, "/", "", nil)
			requireFieldErrors(t, e.BadRequestError("Invalid query parameters.", err), queryParamName)
		}
	})
}

var lessonField = regexp.MustCompile(`^(teacher|student|instrument|room|start|minutes|kind|dry_run|limit|recurrence|recurrence\.(count|until|rrule))$`)

// FuzzLessonInput: a lesson body is refused field by field, or its series
// has 1 to MaxOccurrences starts the routes can book (starts[0] exists).
func FuzzLessonInput(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"teacher":"aaaaaaaaaaaaaaa","student":"bbbbbbbbbbbbbbb","start":"2026-03-02T16:00","minutes":30}`,
		`{"teacher":"aaaaaaaaaaaaaaa","student":"bbbbbbbbbbbbbbb","start":"2026-03-02T16:00","minutes":30,"recurrence":{"count":10}}`,
		`{"teacher":"aaaaaaaaaaaaaaa","student":"bbbbbbbbbbbbbbb","start":"2026-03-02T16:00","minutes":30,"recurrence":{"rrule":"FREQ=WEEKLY;UNTIL=20200101T000000Z"}}`,
		`{"teacher":"aaaaaaaaaaaaaaa","student":"bbbbbbbbbbbbbbb","start":"2026-03-02T16:00","minutes":30,"recurrence":{"until":"2026-03-01"}}`,
		`{"teacher":"aaaaaaaaaaaaaaa","student":"bbbbbbbbbbbbbbb","start":"2026-03-02T16:00","minutes":30,"recurrence":{"rrule":"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=2"}}`,
		`{"teacher":1,"student":["x"],"start":"soon","minutes":"30","kind":"jam","recurrence":"weekly","limit":-1,"dry_run":"yes"}`,
		`{"minutes":1e400}`, `{"minutes":30.5,"recurrence":{"count":1e9,"until":"2026-13-01"}}`,
	} {
		f.Add([]byte(s))
	}
	zone, err := time.LoadLocation("America/Vancouver")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := fuzzEvent(http.MethodPost, "/api/v1/lessons", "application/json", raw)
		b, err := readBody(e)
		if err != nil {
			return // FuzzReadBody's
		}
		in := readLessonInput(b)
		in.validate(b, zone)
		if err := b.check(e); err != nil {
			requireFieldErrors(t, err, lessonField)
			return
		}
		starts, err := in.occurrences(zone)
		if err != nil || len(starts) == 0 || len(starts) > scheduling.MaxOccurrences {
			t.Fatalf("accepted %s with %d starts (%v)", raw, len(starts), err)
		}
		if in.Minutes < 15 || in.Minutes > 180 {
			t.Fatalf("accepted %d minutes", in.Minutes)
		}
	})
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
		e := fuzzEvent(http.MethodPut, "/", "application/json", raw)
		b, err := readBody(e)
		if err != nil {
			return
		}
		inputs := readWindows(b)
		if err := b.check(e); err != nil {
			requireFieldErrors(t, err, windowField)
			return
		}
		windows := make([]scheduling.WeeklyWindow, len(inputs))
		for i, in := range inputs {
			windows[i] = in.window
			sent := b.data["windows"].([]any)[i].(map[string]any)
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

var enrollmentField = regexp.MustCompile(`^(parent|student|plan|trial|match_me|teacher|payment_method|website|source)(\.[a-z_]+(\.(\d+|[a-z]+)(\.[a-z]+)?)?)?$`)

// FuzzEnrollmentBody: the enrollment routes' strict JSON reader and the
// input's validation refuse field by field (a body that is not an object
// at all has no field to name), never panic.
func FuzzEnrollmentBody(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `{`, `display_name=x&kind=true`, `{"plan":"x","bogus":1}`, `{"student":{"preferred_times":[{"weekday":"mon"}]}}`,
		`{"parent":{"name":"A","email":"a@b.c"},"student":{"first_name":"B","last_name":"C","birth_date":"2017-03-02","instrument":"aaaaaaaaaaaaaaa"},"plan":"bbbbbbbbbbbbbbb","match_me":true}`,
		`{"trial":{"teacher":"aaaaaaaaaaaaaaa","start":"2026-13-45T99:00:00Z"}}`, `{"trial":{"start":"not a time"}}`,
		`{"parent":{"phone":"☎☎☎☎☎"},"payment_method":"pm_` + strings.Repeat("a", 300) + `"}`, `{"match_me":"yes"}`, "{\"student\":{\"first_name\":\"\xff\"}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := fuzzEvent(http.MethodPost, "/api/v1/enrollments", "application/json", raw)
		var body enrollmentBody
		if err := readInto(e, &body); err != nil {
			var apiErr *router.ApiError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("refusal %v is not a 400", err)
			}
			// "Invalid submitted data." names the fields; a body that is
			// not a JSON object is "Failed to read the submitted data."
			if len(apiErr.Data) > 0 || apiErr.Message == "Invalid submitted data." {
				requireFieldErrors(t, err, enrollmentField)
			}
			return
		}
		if err := body.input("parent").Validate(); err != nil {
			var fields validation.Errors
			if !errors.As(err, &fields) {
				t.Fatalf("refusal %v names no field", err)
			}
			requireFieldErrors(t, e.BadRequestError("Invalid submitted data.", err), enrollmentField)
		}
	})
}

// fuzzCollection has one field of each type body.record checks.
func fuzzCollection() *core.Collection {
	c := core.NewBaseCollection("fuzz")
	c.Fields.Add(
		&core.NumberField{Name: "n"}, &core.BoolField{Name: "b"}, &core.DateField{Name: "d"},
		&core.SelectField{Name: "s", Values: []string{"x", "y"}, MaxSelect: 1},
		&core.SelectField{Name: "sm", Values: []string{"x", "y"}, MaxSelect: 2},
		&core.RelationField{Name: "r", CollectionId: "other", MaxSelect: 1},
		&core.RelationField{Name: "rm", CollectionId: "other", MaxSelect: 5},
		&core.TextField{Name: "t"}, &core.EmailField{Name: "e"}, &core.JSONField{Name: "j"},
		&core.TextField{Name: "hidden", Hidden: true},
	)
	return c
}

// FuzzRecordFields: body.record keeps only the collection's own, visible
// fields, refuses a value of the wrong JSON type by name, and what it keeps
// PocketBase stores unchanged (no "abc" silently turned into 0 or a blank
// date).
func FuzzRecordFields(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"n":1.5,"b":true,"d":"2026-01-05","s":"x","sm":["x","y"],"r":"abc","rm":["a","b"],"t":"t","e":"a@b.c","j":{"a":[1]}}`,
		`{"n":"1","b":"true","d":"tomorrow","s":["x"],"sm":"x","r":["a","b"],"rm":[1],"t":5,"e":false}`,
		`{"id":"x","created":"2020-01-01","hidden":"h","unknown":1,"n":null,"d":""}`, `{"d":"2026-02-30 10:00:00.000Z","n":-0}`,
	} {
		f.Add([]byte(s), false)
	}
	collection := fuzzCollection()
	f.Fuzz(func(t *testing.T, raw []byte, superuser bool) {
		e := fuzzEvent(http.MethodPost, "/", "application/json", raw)
		b, err := readBody(e)
		if err != nil {
			return
		}
		kept := b.record(collection, superuser)
		for key := range b.errs {
			if collection.Fields.GetByName(key) == nil {
				t.Fatalf("refusal names %q, not a field of the collection", key)
			}
		}
		record := core.NewRecord(collection)
		record.Load(kept)
		for key, sent := range kept {
			field := collection.Fields.GetByName(key)
			if field == nil || field.GetSystem() || (field.GetHidden() && !superuser) {
				t.Fatalf("kept %q, which a body never sets", key)
			}
			if sent == nil {
				continue
			}
			switch field.(type) {
			case *core.NumberField:
				if record.GetFloat(key) != sent.(float64) {
					t.Fatalf("%s: sent %v, stored %v", key, sent, record.Get(key))
				}
			case *core.BoolField:
				if record.GetBool(key) != sent.(bool) {
					t.Fatalf("%s: sent %v, stored %v", key, sent, record.Get(key))
				}
			case *core.DateField:
				want, _ := parseDate(sent.(string))
				if !record.GetDateTime(key).Time().Equal(want.Time()) {
					t.Fatalf("%s: sent %v, stored %v", key, sent, record.Get(key))
				}
			case *core.TextField, *core.EmailField:
				if record.GetString(key) != sent.(string) {
					t.Fatalf("%s: sent %q, stored %q", key, sent, record.GetString(key))
				}
			}
		}
	})
}
