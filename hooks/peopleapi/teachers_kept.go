package peopleapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/freetime"
	"cedarheights/hooks"
)

// teachers_kept.go: the office's page of teachers with their windows, kept
// whole. For a caller the teachers and availability rules admit to every
// row, the page is made of those two tables alone (relations are ids, and
// nothing is expanded), and both are watched by the free-time counter
// (freetime/doc.go): it is encoded once per counter value and query, as
// the admins' week view is. A write to any watched table (a lesson's
// too) drops it; the next request lists the page again, with the windows
// kept per teacher (window_cache.go). Loading twenty teacher records and
// encoding them on every request held the route at 0.97× the built-in list
// at ten times the seed (issue 14).

// keptTeachersPage answers lq's page with windows from the free-time cache,
// or ok false when this request must list it: it expands or picks fields,
// a collection has hidden fields, or a rule does not admit the caller to
// every teacher and window.
func keptTeachersPage(e *core.RequestEvent, lq hooks.ListQuery) (body []byte, ok bool, err error) {
	if q := e.Request.URL.Query(); q.Get("expand") != "" || q.Has("fields") {
		return nil, false, nil
	}
	key := fmt.Sprintf("teachers-windows:%t:%q:%v:%q:%d:%d:%t", hooks.IsSuperuser(e), lq.Filter, lq.Params, lq.Sort, lq.Page, lq.PerPage, lq.SkipTotal)
	for _, name := range []string{"teachers", "availability"} {
		collection, err := e.App.FindCachedCollectionByNameOrId(name)
		if err != nil {
			return nil, false, e.InternalServerError("", err)
		}
		for _, f := range collection.Fields {
			if f.GetHidden() {
				return nil, false, nil
			}
		}
		if all, err := hooks.SeesAll(e, name); err != nil || !all {
			return nil, false, err
		}
		// A schema change does not move the counter: it names other answers.
		key += fmt.Sprintf(":%s@%s", collection.Id, collection.Updated)
	}
	body, err = freetime.For(e.App).Answer(e.App, key, func() ([]byte, time.Time, error) {
		body, result, err := listTeachers(e, lq, true)
		if err != nil || body != nil {
			return body, time.Time{}, err
		}
		var buf bytes.Buffer // as e.JSON writes it
		if err := json.NewEncoder(&buf).Encode(result); err != nil {
			return nil, time.Time{}, err
		}
		return buf.Bytes(), time.Time{}, nil
	})
	if err != nil {
		if apiErr := hooks.AsAPIError(err); apiErr != nil {
			return nil, false, apiErr
		}
		return nil, false, e.InternalServerError("", err)
	}
	return body, true, nil
}
