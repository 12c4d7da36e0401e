package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// body.go is the one way a route reads what a client sends: the body
// PocketBase already decoded (e.RequestInfo; JSON only), read through
// typed getters. A value of the wrong type records a field error and reads
// as the zero value; rules add their errors with add; check answers every
// field error at once as one 400 in PocketBase's shape, so a form shows all
// its mistakes after one round trip.

// Body reads one request body (or one object nested in it).
type Body struct {
	Data   map[string]any
	Errs   validation.Errors // shared with nested objects
	prefix string            // "recurrence." for a nested object's keys
}

// ReadBody reads the request's body; malformed JSON is a 400 and a body
// over the route's limit a 413.
func ReadBody(e *core.RequestEvent) (*Body, error) {
	// JSON only, as described: PocketBase would also read a form into the
	// same map, every value a string.
	if ct := e.Request.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return nil, e.BadRequestError("Unsupported Content-Type: the body must be JSON.", nil)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return nil, RequestError(e, err)
	}
	data := info.Body
	if data == nil {
		data = map[string]any{} // the JSON body null
	}
	return &Body{Data: data, Errs: validation.Errors{}}, nil
}

// ReadInto reads the request's body into v, a typed request for routes
// whose input is a nested document (an enrollment): a key v does not name
// or a value of the wrong type is a 400 naming the field, in the same shape
// as every other route's errors; a body that is not an object at all has no
// field to name. v's own Validate then names the rest.
func ReadInto(e *core.RequestEvent, v any) error {
	b, err := ReadBody(e)
	if err != nil {
		return err
	}
	if err := b.into(v); err != nil {
		return RequestError(e, err)
	}
	return b.Check(e)
}

// into decodes the body's data into v strictly (unknown keys refused),
// recording each named field's error; it returns the error that names none.
func (b *Body) into(v any) error {
	raw, err := json.Marshal(b.Data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fields, named := InputFieldErrors(err).(validation.Errors)
		if !named {
			return err
		}
		b.AddAll(fields, "")
	}
	return nil
}

// Add records err on key unless the key already has an error (the first
// error of a field is the one a client fixes first, e.g. its type).
func (b *Body) Add(key string, err error) {
	if err == nil {
		return
	}
	if _, taken := b.Errs[b.prefix+key]; !taken {
		b.Errs[b.prefix+key] = err
	}
}

// AddAll records each field error of a validation.Errors (as returned by
// validation.ValidateStruct); any other error is recorded on fallback.
func (b *Body) AddAll(err error, fallback string) {
	if err == nil {
		return
	}
	var fields validation.Errors
	if !errors.As(err, &fields) {
		b.Add(fallback, err)
		return
	}
	for key, fe := range fields {
		b.Add(key, fe)
	}
}

// Failed reports whether key already has an error.
func (b *Body) Failed(key string) bool {
	_, ok := b.Errs[b.prefix+key]
	return ok
}

// Check answers every recorded field error as one 400, or nil.
func (b *Body) Check(e *core.RequestEvent) error {
	if len(b.Errs) > 0 {
		return e.BadRequestError("Invalid submitted data.", b.Errs)
	}
	return nil
}

func (b *Body) Has(key string) bool {
	v, ok := b.Data[key]
	return ok && v != nil
}

var (
	errNotString = validation.NewError("validation_invalid_type", "Must be a string.")
	errNotNumber = validation.NewError("validation_invalid_type", "Must be a number.")
	errNotWhole  = validation.NewError("validation_invalid_integer", "Must be a whole number.")
	errNotBool   = validation.NewError("validation_invalid_type", "Must be true or false.")
	errNotIds    = validation.NewError("validation_invalid_type", "Must be a string or a list of strings.")
	errNotObject = validation.NewError("validation_invalid_type", "Must be an object.")
	errNotList   = validation.NewError("validation_invalid_type", "Must be a list.")
	errNotDate   = validation.NewError("validation_invalid_date", "Must be a date such as 2026-01-05 or 2026-01-05 10:00:00.000Z.")
)

// Str reads a string ("" when absent or null).
func (b *Body) Str(key string) string {
	if !b.Has(key) {
		return ""
	}
	s, ok := b.Data[key].(string)
	if !ok {
		b.Add(key, errNotString)
	}
	return s
}

// StrMax reads a string of at most max bytes.
func (b *Body) StrMax(key string, max int) string {
	s := b.Str(key)
	if len(s) > max {
		b.Add(key, validation.NewError("validation_length_too_long", fmt.Sprintf("Must be at most %d characters.", max)))
	}
	return s
}

// Text reads a string without its surrounding spaces (ids, names, keys).
func (b *Body) Text(key string) string {
	return strings.TrimSpace(b.Str(key))
}

// OptStr is str for partial updates: nil when absent or null (the field
// keeps its value), else the string.
func (b *Body) OptStr(key string) *string {
	if !b.Has(key) {
		return nil
	}
	s := b.Str(key)
	if b.Failed(key) {
		return nil
	}
	return &s
}

// Int reads a whole number (0 when absent or null).
func (b *Body) Int(key string) int64 {
	if !b.Has(key) {
		return 0
	}
	f, ok := b.Data[key].(float64)
	switch {
	case !ok:
		b.Add(key, errNotNumber)
		return 0
	case f != math.Trunc(f) || math.Abs(f) > 1e15:
		b.Add(key, errNotWhole)
		return 0
	}
	return int64(f)
}

// OptInt is int for partial updates: nil when absent.
func (b *Body) OptInt(key string) *int {
	if !b.Has(key) {
		return nil
	}
	n := int(b.Int(key))
	if b.Failed(key) {
		return nil
	}
	return &n
}

// Bool reads true or false (false when absent or null).
func (b *Body) Bool(key string) bool {
	if !b.Has(key) {
		return false
	}
	v, ok := b.Data[key].(bool)
	if !ok {
		b.Add(key, errNotBool)
	}
	return v
}

// Date reads a calendar date or PocketBase date-time (zero when absent).
func (b *Body) Date(key string) time.Time {
	if !b.Has(key) {
		return time.Time{}
	}
	s, ok := b.Data[key].(string)
	d, err := parseDate(s)
	if !ok || err != nil {
		b.Add(key, errNotDate)
		return time.Time{}
	}
	return d.Time()
}

// Object reads a nested object; its errors are keyed "key.field". It is
// nil when absent or null (and when not an object, with an error).
func (b *Body) Object(key string) *Body {
	if !b.Has(key) {
		return nil
	}
	m, ok := b.Data[key].(map[string]any)
	if !ok {
		b.Add(key, errNotObject)
		return nil
	}
	return &Body{Data: m, Errs: b.Errs, prefix: b.prefix + key + "."}
}

// List reads a list (nil when absent or null, or not a list: an error).
func (b *Body) List(key string) []any {
	if !b.Has(key) {
		return nil
	}
	l, ok := b.Data[key].([]any)
	if !ok {
		b.Add(key, errNotList)
	}
	return l
}

// Item reads the i-th element of list key as an object, errors keyed
// "key.i.field"; nil (with an error) when it is not an object.
func (b *Body) Item(key string, list []any, i int) *Body {
	name := key + "." + strconv.Itoa(i)
	m, ok := list[i].(map[string]any)
	if !ok {
		b.Add(name, errNotObject)
		return nil
	}
	return &Body{Data: m, Errs: b.Errs, prefix: b.prefix + name + "."}
}

// Record reads the fields of a collection's record. It keeps only the
// collection's own fields (unknown keys and the system fields id, created
// and updated are dropped, hidden ones too unless the caller is a
// superuser) and checks each value has the JSON type its field expects:
// PocketBase's setters would otherwise turn "abc" into 0 or a blank date.
func (b *Body) Record(collection *core.Collection, superuser bool) map[string]any {
	data := make(map[string]any, len(b.Data))
	for key, value := range b.Data {
		field := collection.Fields.GetByName(key)
		if field == nil || field.GetSystem() || slices.Contains(autoFields, key) {
			continue
		}
		if field.GetHidden() && !superuser {
			continue
		}
		if err := checkFieldType(field, value); err != nil {
			b.Add(key, err)
			continue
		}
		data[key] = value
	}
	return data
}

// RequireFields adds validation_required for every required field of a new
// record that the body left out, asking each field as Save would
// (Field.ValidateValue on the unsaved record), so `{}` names them all
// before the collection's rules are asked.
func (b *Body) RequireFields(ctx context.Context, app core.App, record *core.Record) {
	for _, field := range record.Collection().Fields {
		name := field.GetName()
		if field.GetSystem() || slices.Contains(autoFields, name) || b.Has(name) || b.Failed(name) {
			continue
		}
		if _, auto := field.(*core.AutodateField); auto {
			continue
		}
		var fe validation.Error
		if err := field.ValidateValue(ctx, app, record); errors.As(err, &fe) && fe.Code() == validation.ErrRequired.Code() {
			b.Add(name, validation.ErrRequired)
		}
	}
}

// autoFields are filled by PocketBase on save; a body never sets them.
var autoFields = []string{"created", "updated"}

// checkFieldType checks one decoded JSON value against its field's type;
// null is always accepted (it clears the field).
func checkFieldType(field core.Field, value any) error {
	if value == nil {
		return nil
	}
	switch f := field.(type) {
	case *core.NumberField:
		if _, ok := value.(float64); !ok {
			return errNotNumber
		}
	case *core.BoolField:
		if _, ok := value.(bool); !ok {
			return errNotBool
		}
	case *core.DateField:
		s, ok := value.(string)
		if !ok {
			return errNotDate
		}
		if _, err := parseDate(s); err != nil {
			return errNotDate
		}
	case *core.SelectField:
		return checkStrings(value, f.IsMultiple())
	case *core.RelationField:
		return checkStrings(value, f.IsMultiple())
	case *core.FileField:
		return checkStrings(value, f.IsMultiple())
	case *core.TextField, *core.EditorField, *core.EmailField, *core.URLField:
		if _, ok := value.(string); !ok {
			return errNotString
		}
	}
	return nil // JSON and other free-form fields
}

func checkStrings(value any, multiple bool) error {
	switch v := value.(type) {
	case string:
		return nil
	case []any:
		if !multiple {
			return errNotString
		}
		for _, item := range v {
			if _, ok := item.(string); !ok {
				return errNotIds
			}
		}
		return nil
	}
	if multiple {
		return errNotIds
	}
	return errNotString
}

// parseDate accepts a calendar date (2026-01-05) or PocketBase's date-time
// format; "" is the empty date.
func parseDate(s string) (types.DateTime, error) {
	if s == "" {
		return types.DateTime{}, nil
	}
	if len(s) == len("2006-01-02") {
		s += " 00:00:00.000Z"
	}
	d, err := types.ParseDateTime(s)
	if err != nil || d.IsZero() {
		return types.DateTime{}, fmt.Errorf("invalid date %q", s)
	}
	return d, nil
}

func isJSON(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return err == nil && media == "application/json"
}
