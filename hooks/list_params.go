package hooks

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/records"
)

// list_params.go reads the query parameters of the /api/v1 lists
// (pagination, sort, flags) and the values they share with bodies. Bad
// parameters become one 400 in PocketBase's shape naming each parameter.

var (
	IsRecordID = records.IsID
	IsFlag     = validation.In("", "0", "1", "true", "false").Error("Must be 0, 1, true or false.")
)

// Flag reads a boolean query parameter already checked by isFlag.
func Flag(v string) bool { return v == "1" || v == "true" }

// MaxPerPage caps every /api/v1 list page.
const MaxPerPage = 200

// pageParams are the pagination and sort query parameters of every list.
type pageParams struct {
	Page      string `json:"page"`
	PerPage   string `json:"per_page"`
	Sort      string `json:"sort"`
	SkipTotal string `json:"skip_total"`
}

func ReadPageParams(e *core.RequestEvent) pageParams {
	q := e.Request.URL.Query()
	return pageParams{Page: q.Get("page"), PerPage: q.Get("per_page"), Sort: q.Get("sort"), SkipTotal: q.Get("skip_total")}
}

// Validate checks the parameters; sorts maps each allowed ?sort= value to
// the PocketBase sort expression it stands for.
func (p pageParams) Validate(sorts map[string]string) error {
	return validation.ValidateStruct(&p,
		validation.Field(&p.Page, validation.By(WholeNumber(1, 1_000_000))),
		validation.Field(&p.PerPage, validation.By(WholeNumber(1, MaxPerPage))),
		validation.Field(&p.Sort, validation.In(anySlice(slices.Sorted(maps.Keys(sorts)))...).
			Error(fmt.Sprintf("Must be one of %v.", slices.Sorted(maps.Keys(sorts))))),
		validation.Field(&p.SkipTotal, IsFlag),
	)
}

// Apply sets the (validated) pagination and sort on q.
func (p pageParams) Apply(q *ListQuery, sorts map[string]string, defaultSort string) {
	q.Page, _ = strconv.Atoi(p.Page)
	q.PerPage, _ = strconv.Atoi(p.PerPage)
	if q.PerPage == 0 {
		q.PerPage = 30
	}
	q.Sort = sorts[defaultSort]
	if p.Sort != "" {
		q.Sort = sorts[p.Sort]
	}
	q.SkipTotal = Flag(p.SkipTotal)
}

// WholeNumber accepts "" or a whole number within [min, max].
func WholeNumber(min, max int) validation.RuleFunc {
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

// MergeErrors joins the field errors of several ValidateStruct calls.
func MergeErrors(errs ...error) error {
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

// DBTime formats an instant the way PocketBase stores dates, so string
// comparison in SQL orders them correctly.
func DBTime(t time.Time) string {
	return t.UTC().Format(types.DefaultDateLayout)
}
