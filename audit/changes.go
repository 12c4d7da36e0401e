package audit

import (
	"bytes"
	"encoding/json"

	"github.com/pocketbase/pocketbase/core"
)

// recordChanges lists the fields that differ between before and after as
// {"field": {"before": …, "after": …}}; a create has no before, a delete no
// after, and empty values are left out of both. Hidden fields (password,
// tokenKey, …) are named with {"redacted": true} and never copied. The id
// and the autodate fields are not changes of their own.
func recordChanges(before, after *core.Record) map[string]any {
	r := after
	if r == nil {
		r = before
	}
	isUpdate := before != nil && after != nil
	changes := map[string]any{}
	for _, f := range r.Collection().Fields {
		if f.GetName() == core.FieldNameId {
			continue
		}
		if _, ok := f.(*core.AutodateField); ok {
			continue
		}
		var b, a json.RawMessage
		if before != nil {
			b = auditValue(before, f)
		}
		if after != nil {
			a = auditValue(after, f)
		}
		if bytes.Equal(b, a) || (isEmptyJSON(b) && isEmptyJSON(a)) {
			continue
		}
		if f.GetHidden() {
			changes[f.GetName()] = map[string]any{"redacted": true}
			continue
		}
		change := map[string]any{}
		if isUpdate || !isEmptyJSON(b) {
			change["before"] = b
		}
		if isUpdate || !isEmptyJSON(a) {
			change["after"] = a
		}
		changes[f.GetName()] = change
	}
	return changes
}

// auditValue is the field's value as JSON; a password compares by its hash
// (its plain value exists only while it is being set).
func auditValue(r *core.Record, f core.Field) json.RawMessage {
	key := f.GetName()
	if _, ok := f.(*core.PasswordField); ok {
		key += ":hash"
	}
	raw, err := json.Marshal(r.Get(key))
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}

func isEmptyJSON(v json.RawMessage) bool {
	switch string(v) {
	case "", "null", `""`, "[]", "{}":
		return true
	}
	return false
}
