package hooks

import (
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/picker"
)

// fieldsGuardPriority runs the guard with the query guard, after
// PocketBase's own middlewares.
const fieldsGuardPriority = queryGuardPriority

// fieldsGuard refuses a `?fields=` PocketBase cannot parse, with a 400 naming
// the parameter, before any route runs. PocketBase v0.39.11's e.JSON writes
// the success status first and parses `fields` after: a bad value (a stray
// ":" reads as an unknown modifier) left a 200, or a 201 whose write was
// done, with an empty body on every route, the record API's included.
func fieldsGuard() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "academyFieldsGuard",
		Priority: fieldsGuardPriority,
		Func: func(e *core.RequestEvent) error {
			raw := e.Request.URL.Query().Get("fields")
			if raw == "" {
				return e.Next()
			}
			// Pick parses the whole expression before it looks at the data.
			if _, err := picker.Pick(struct{}{}, raw); err != nil {
				return e.BadRequestError("Invalid fields parameter.", validation.Errors{
					"fields": validation.NewError("validation_invalid_fields", err.Error()),
				})
			}
			return e.Next()
		},
	}
}
