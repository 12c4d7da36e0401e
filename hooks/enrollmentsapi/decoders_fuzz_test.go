package enrollmentsapi

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/hooks"
	"cedarheights/internal/decodertest"
)

// decoders_fuzz_test.go: go test -fuzz targets for the enrollment body (the shared
// decoders are fuzzed in hooks/decoders_fuzz_test.go). Their seeds run with
// every `go test`.

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
		e := decodertest.Event(http.MethodPost, "/api/v1/enrollments", "application/json", raw)
		var body enrollmentBody
		if err := hooks.ReadInto(e, &body); err != nil {
			var apiErr *router.ApiError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("refusal %v is not a 400", err)
			}
			// "Invalid submitted data." names the fields; a body that is
			// not a JSON object is "Failed to read the submitted data."
			if len(apiErr.Data) > 0 || apiErr.Message == "Invalid submitted data." {
				decodertest.RequireFieldErrors(t, err, enrollmentField)
			}
			return
		}
		if err := body.input("parent").Validate(); err != nil {
			var fields validation.Errors
			if !errors.As(err, &fields) {
				t.Fatalf("refusal %v names no field", err)
			}
			decodertest.RequireFieldErrors(t, e.BadRequestError("Invalid submitted data.", err), enrollmentField)
		}
	})
}
