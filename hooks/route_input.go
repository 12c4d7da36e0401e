package hooks

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// route_input.go reads what clients send to the /api/v1 routes: JSON bodies
// for a collection's records and list query parameters. Bad input becomes a
// 400 in PocketBase's shape naming the field or query parameter.

// recordBody reads the submitted JSON object for a record of collection. It
// keeps only the collection's own fields (unknown keys and the system fields
// id, created and updated are dropped, hidden fields too unless the caller is
// a superuser) and checks each value has the JSON type its field expects:
// PocketBase's setters would otherwise turn "abc" into 0 or a blank date.
func recordBody(e *core.RequestEvent, collection *core.Collection) (map[string]any, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, requestError(e, err)
	}
	data := make(map[string]any, len(info.Body))
	errs := validation.Errors{}
	for key, value := range info.Body {
		field := collection.Fields.GetByName(key)
		if field == nil || field.GetSystem() || slices.Contains(autoFields, key) {
			continue
		}
		if field.GetHidden() && !info.HasSuperuserAuth() {
			continue
		}
		if err := checkFieldType(field, value); err != nil {
			errs[key] = err
			continue
		}
		data[key] = value
	}
	if len(errs) > 0 {
		return nil, e.BadRequestError("Invalid submitted data.", errs)
	}
	return data, nil
}

// autoFields are filled by PocketBase on save; a body never sets them.
var autoFields = []string{"created", "updated"}

var (
	errNotString = validation.NewError("validation_invalid_type", "Must be a string.")
	errNotNumber = validation.NewError("validation_invalid_type", "Must be a number.")
	errNotBool   = validation.NewError("validation_invalid_type", "Must be true or false.")
	errNotIds    = validation.NewError("validation_invalid_type", "Must be a string or a list of strings.")
	errNotDate   = validation.NewError("validation_invalid_date", "Must be a date such as 2026-01-05 or 2026-01-05 10:00:00.000Z.")
)

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

// idPattern accepts PocketBase record ids (15 lower-case alphanumerics by
// default; custom ids may be longer or use "_").
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,100}$`)

var (
	isRecordId = validation.Match(idPattern).Error("Must be a record id.")
	isFlag     = validation.In("", "0", "1", "true", "false").Error("Must be 0, 1, true or false.")
)

// flag reads a boolean query parameter already checked by isFlag.
func flag(v string) bool { return v == "1" || v == "true" }

// maxPerPage caps every /api/v1 list page.
const maxPerPage = 200

// pageParams are the pagination and sort query parameters of every list.
type pageParams struct {
	Page      string `json:"page"`
	PerPage   string `json:"per_page"`
	Sort      string `json:"sort"`
	SkipTotal string `json:"skip_total"`
}

func readPageParams(e *core.RequestEvent) pageParams {
	q := e.Request.URL.Query()
	return pageParams{Page: q.Get("page"), PerPage: q.Get("per_page"), Sort: q.Get("sort"), SkipTotal: q.Get("skip_total")}
}

// validate checks the parameters; sorts maps each allowed ?sort= value to
// the PocketBase sort expression it stands for.
func (p pageParams) validate(sorts map[string]string) error {
	return validation.ValidateStruct(&p,
		validation.Field(&p.Page, validation.By(wholeNumber(1, 1_000_000))),
		validation.Field(&p.PerPage, validation.By(wholeNumber(1, maxPerPage))),
		validation.Field(&p.Sort, validation.In(anySlice(slices.Sorted(maps.Keys(sorts)))...).
			Error(fmt.Sprintf("Must be one of %v.", slices.Sorted(maps.Keys(sorts))))),
		validation.Field(&p.SkipTotal, isFlag),
	)
}

// apply sets the (validated) pagination and sort on q.
func (p pageParams) apply(q *listQuery, sorts map[string]string, defaultSort string) {
	q.Page, _ = strconv.Atoi(p.Page)
	q.PerPage, _ = strconv.Atoi(p.PerPage)
	if q.PerPage == 0 {
		q.PerPage = 30
	}
	q.Sort = sorts[defaultSort]
	if p.Sort != "" {
		q.Sort = sorts[p.Sort]
	}
	q.SkipTotal = flag(p.SkipTotal)
}

// wholeNumber accepts "" or a whole number within [min, max].
func wholeNumber(min, max int) validation.RuleFunc {
	return func(value any) error {
		s, _ := value.(string)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			return validation.NewError("validation_out_of_range", fmt.Sprintf("Must be a whole number from %d to %d.", min, max))
		}
		return nil
	}
}

// mergeErrors joins the field errors of several ValidateStruct calls.
func mergeErrors(errs ...error) error {
	out := validation.Errors{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		ve, ok := err.(validation.Errors)
		if !ok {
			return err
		}
		maps.Copy(out, ve)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func anySlice[T any](items []T) []any {
	out := make([]any, len(items))
	for i, v := range items {
		out[i] = v
	}
	return out
}

// dbTime formats an instant the way PocketBase stores dates, so string
// comparison in SQL orders them correctly.
func dbTime(t time.Time) string {
	return t.UTC().Format(types.DefaultDateLayout)
}
