package hooks

import (
	"errors"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/internal/decodertest"
)

// decoders_fuzz_test.go: go test -fuzz targets for the request decoders of
// the routes shared by every group: body.go's reader and typed getters, the
// date parser, the record fields. Each route group fuzzes its own decoders
// (lists, lessons, availability, enrollments) beside them. Their seeds run with every `go test`; a longer search:
//
//	go test -run XXX -fuzz FuzzReadBody -fuzztime 60s ./hooks/
//
// Each asserts what a client relies on: no panic, a refusal is a 400 in
// PocketBase's shape whose data names the fields, and a value that is
// accepted reads back as what was sent.

var fuzzContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""}

// FuzzReadBody: ReadBody and every typed getter over every key of whatever
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
		e := decodertest.Event(http.MethodPost, "/x", fuzzContentTypes[int(ct)%len(fuzzContentTypes)], raw)
		b, err := ReadBody(e)
		if err != nil {
			var apiErr *router.ApiError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("unreadable body answered %v, want a 400", err)
			}
			return
		}
		readEveryKey(t, b, 0)
		if err := b.Check(e); err != nil {
			// every getter read every key here, "" too: any key the body had
			decodertest.RequireFieldErrors(t, err, regexp.MustCompile(`(?s)^.*$`))
			var apiErr *router.ApiError
			errors.As(err, &apiErr)
			if len(apiErr.Data) != len(b.Errs) {
				t.Fatalf("%d field errors answered as %d", len(b.Errs), len(apiErr.Data))
			}
		}
	})
}

// readEveryKey reads each key with each getter and checks what a getter
// accepts is the value sent.
func readEveryKey(t *testing.T, b *Body, depth int) {
	t.Helper()
	for key, value := range b.Data {
		probe := &Body{Data: b.Data, Errs: validation.Errors{}}
		if s := probe.Str(key); !probe.Failed(key) && value != nil && value.(string) != s {
			t.Fatalf("str(%q) = %q, sent %#v", key, s, value)
		}
		probe = &Body{Data: b.Data, Errs: validation.Errors{}}
		if n := probe.Int(key); !probe.Failed(key) && value != nil {
			if f := value.(float64); float64(n) != f || math.Abs(f) > 1e15 {
				t.Fatalf("int(%q) = %d, sent %v", key, n, f)
			}
		}
		probe = &Body{Data: b.Data, Errs: validation.Errors{}}
		if v := probe.Bool(key); !probe.Failed(key) && value != nil && value.(bool) != v {
			t.Fatalf("bool(%q) = %v, sent %#v", key, v, value)
		}
		probe = &Body{Data: b.Data, Errs: validation.Errors{}}
		if d := probe.Date(key); !probe.Failed(key) && value != nil && value != "" {
			again, err := parseDate(DBTime(d))
			if err != nil || !again.Time().Equal(d) {
				t.Fatalf("date(%q) = %v does not read back (%v)", key, d, err)
			}
		}
		if depth < 3 {
			if o := b.Object(key); o != nil {
				readEveryKey(t, o, depth+1)
			}
			if l := b.List(key); l != nil {
				for i := range l {
					if item := b.Item(key, l, i); item != nil {
						readEveryKey(t, item, depth+1)
					}
				}
			}
		}
		b.Str(key)
		b.Int(key)
		b.OptInt(key)
		b.OptStr(key)
		b.Bool(key)
		b.Date(key)
	}
}

// FuzzParseDate: a date parseDate accepts formats back (DBTime) to the same
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
		again, err := parseDate(DBTime(d.Time()))
		if err != nil || !again.Time().Equal(d.Time()) {
			t.Fatalf("%q read as %v, which reads back as %v (%v)", s, d, again, err)
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
		e := decodertest.Event(http.MethodPost, "/", "application/json", raw)
		b, err := ReadBody(e)
		if err != nil {
			return
		}
		kept := b.Record(collection, superuser)
		for key := range b.Errs {
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
