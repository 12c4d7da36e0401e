package peopleapi

import (
	"bytes"
	"encoding/json"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"

	"cedarheights/hooks"
)

// windows_page.go: the page of teachers with their kept windows, written as
// bytes. Handing the kept encodings to e.JSON as json.RawMessage made Go's
// encoder validate and compact every one of them again on each request (a
// quarter of the route's CPU at ten times the seed, issue 14); here each
// teacher is encoded once and its windows are copied as kept.

// windowsPage is what e.JSON would write for result with teachers as its
// items, each carrying windows[id] as its only expand (the kept
// encodings serve no request that expands): search.Result's
// fields in their order, HTML escaped as json.Encoder escapes, and the
// encoder's closing newline. The expand key comes after the record's own
// keys rather than in key order, which JSON does not fix.
func windowsPage(result *search.Result, teachers []*core.Record, windows map[string]json.RawMessage) ([]byte, error) {
	size := 128
	for _, t := range teachers {
		size += len(windows[t.Id]) + 512
	}
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteString(`{"items":[`)
	for i, t := range teachers {
		if i > 0 {
			buf.WriteByte(',')
		}
		// PublicExport is what Record.MarshalJSON encodes; encoding it
		// directly skips the compaction json.Marshal gives a Marshaler.
		export := t.PublicExport()
		delete(export, core.FieldNameExpand) // the windows are the expand
		b, err := json.Marshal(export)
		if err != nil {
			return nil, err
		}
		buf.Write(b[:len(b)-1]) // without its closing brace
		buf.WriteString(`,"expand":{"` + availabilityExpand + `":`)
		if w := windows[t.Id]; w != nil {
			buf.Write(w)
		} else {
			buf.WriteString("[]")
		}
		buf.WriteString("}}")
	}
	hooks.AppendListEnd(&buf, result)
	return buf.Bytes(), nil
}
