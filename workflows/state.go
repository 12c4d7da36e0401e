package workflows

import (
	"bytes"
	"encoding/json"
)

// mergeState applies what a node changed (updated against the base it
// started from) to the run's current state, field by top-level field, so
// parallel branches that write different fields all keep their writes (for
// the same field the later checkpoint wins). It also returns the changed
// fields, the step's output. States that are not JSON objects are replaced
// whole.
func mergeState(current, base, updated json.RawMessage) (merged, diff json.RawMessage) {
	if bytes.Equal(current, base) {
		// Nothing ran beside this node (the common case): the diff by
		// comparing bytes (state_scan.go), the merge is updated itself.
		if d, ok := scanDiff(base, updated); ok {
			return updated, d
		}
	}
	var b, u map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || json.Unmarshal(updated, &u) != nil || b == nil || u == nil {
		return updated, updated
	}
	changes := map[string]json.RawMessage{}
	for k, v := range u {
		if old, ok := b[k]; !ok || !bytes.Equal(old, v) {
			changes[k] = v
		}
	}
	for k := range b {
		if _, ok := u[k]; !ok {
			changes[k] = json.RawMessage("null")
		}
	}
	diff, _ = json.Marshal(changes)
	if bytes.Equal(current, base) {
		return updated, diff // nothing ran beside this node
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(current, &c) != nil || c == nil {
		return updated, diff
	}
	for k, v := range changes {
		if _, present := u[k]; !present {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	merged, err := json.Marshal(c)
	if err != nil {
		return updated, diff
	}
	return merged, diff
}
