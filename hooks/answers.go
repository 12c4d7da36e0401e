package hooks

import (
	"encoding/json"
	"errors"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// answers.go: the answers every route group gives the same way: a record
// as PocketBase's record API shows it, a failed save or enrich, and an
// input's field errors.

// RespondRecord answers one record the way PocketBase's record API does
// (expand, email visibility, ?fields=).
func RespondRecord(e *core.RequestEvent, status int, record *core.Record) error {
	if err := apis.EnrichRecord(e, record); err != nil {
		return EnrichError(e, err)
	}
	return e.JSON(status, record)
}

// EnrichError answers a failed EnrichRecord(s): a body PocketBase cannot
// decode (EnrichRecord reads the request info, body included, even on a
// GET that takes none) is the client's 400, like every other reader of the
// request; anything else is a 500.
func EnrichError(e *core.RequestEvent, err error) error {
	if _, infoErr := e.RequestInfo(); infoErr != nil {
		return RequestError(e, infoErr)
	}
	return e.InternalServerError("", err)
}

// SaveError answers a failed Save as PocketBase's record API does: field
// errors (validation, unique indexes) as a 400 naming each field.
func SaveError(e *core.RequestEvent, err error) error {
	if apiErr := AsAPIError(err); apiErr != nil {
		return apiErr
	}
	return e.BadRequestError("Failed to save the record.", err)
}

// InputFieldErrors names the input's fields where it can.
func InputFieldErrors(err error) error {
	var fields validation.Errors
	if errors.As(err, &fields) {
		return fields
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return validation.Errors{typeErr.Field: validation.NewError("validation_invalid_type", "Must be a "+typeErr.Type.Kind().String()+".")}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return validation.Errors{strings.Trim(name, `"`): validation.NewError("validation_unknown_field", "Unknown field.")}
	}
	return validation.NewError("validation_invalid_input", "Invalid input.")
}
