package lessonsapi

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"cedarheights/hooks"
	"cedarheights/internal/decodertest"
	"cedarheights/scheduling"
)

// decoders_fuzz_test.go: go test -fuzz targets for the lesson body and
// its instants (the shared
// decoders are fuzzed in hooks/decoders_fuzz_test.go). Their seeds run with
// every `go test`.

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
		e := decodertest.Event(http.MethodPost, "/api/v1/lessons", "application/json", raw)
		b, err := hooks.ReadBody(e)
		if err != nil {
			return // FuzzReadBody's
		}
		in := readLessonInput(b)
		in.validate(b, zone)
		if err := b.Check(e); err != nil {
			decodertest.RequireFieldErrors(t, err, lessonField)
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
