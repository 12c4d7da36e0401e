// Package decodertest holds what the request decoders' fuzz tests under
// hooks/ share: a request event to decode and the checks of a refusal's
// shape. It imports no package of ours, so hooks' own tests can use it.
package decodertest

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Event is a request event for a decoder; decoders read only the
// request.
func Event(method, target, contentType string, raw []byte) *core.RequestEvent {
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

// RequireFieldErrors fails unless err is a 400 in PocketBase's shape whose
// data names at least one field, each matching field.
func RequireFieldErrors(t *testing.T, err error, field *regexp.Regexp) {
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

// ListParamSeeds are the seeds of every list's FuzzListParams.
var ListParamSeeds = []string{"", "page=1&per_page=200", "page=0", "per_page=201", "page=-1", "page=1e3", "page=99999999999999999999",
	"sort=-created", "sort=name;DROP TABLE students", "status=active&q=%27%20OR%201%3D1--", "skip_total=yes", "teacher=abc",
	"q=" + strings.Repeat("é", 101), "owner=%ff%fe", "name=Enrollment", "sort=amount&sort=x", "%zz=1"}

var queryParamName = regexp.MustCompile(`^(status|instrument|teacher|parent|q|include_deleted|kind|method|family|enrollment|name|subject|owner|page|per_page|sort|skip_total)$`)

// ListParams checks one fuzzed query against each list's decoder: accepted
// or refused parameter by parameter, and accepted pagination (page reads
// it as the route would) stays within its bounds.
func ListParams(t *testing.T, raw string, decoders map[string]func(url.Values) error, page func(url.Values) (page, perPage int), maxPerPage int) {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		return // net/http drops such pairs before a route sees them
	}
	for name, decode := range decoders {
		err := decode(q)
		if err == nil {
			p, perPage := page(q)
			if p < 0 || p > 1_000_000 || perPage < 1 || perPage > maxPerPage {
				t.Fatalf("%s: %q accepted as page %d of %d", name, raw, p, perPage)
			}
			continue
		}
		var fields validation.Errors
		if !errors.As(err, &fields) || len(fields) == 0 {
			t.Fatalf("%s: refusal %v names no parameter", name, err)
		}
		e := Event(http.MethodGet, "/", "", nil)
		RequireFieldErrors(t, e.BadRequestError("Invalid query parameters.", err), queryParamName)
	}
}
