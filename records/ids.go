package records

import (
	"regexp"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// IDPattern is what a record id may look like wherever one arrives from
// outside (a body, a query parameter, a workflow input): PocketBase's own
// ids are 15 lower-case alphanumerics, custom ids may be longer or use "_"
// (PocketBase's core.DefaultIdRegex, bounded). The one copy every package
// checks ids against.
var IDPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,100}$`)

// IsID is the validation rule for an optional record id ("" passes; add
// validation.Required where one is needed).
var IsID = validation.Match(IDPattern).Error("Must be a record id.")
