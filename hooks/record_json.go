package hooks

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/types"
)

// record_json.go: a page of records written in the bytes PocketBase's own
// encoding gives (json.Marshal of Record.PublicExport under e.JSON), for
// less CPU. PocketBase marshals each record's export map by reflection,
// and the response's encoder then scans every record's bytes again to
// compact them; a page of 20 workflow runs (22 keys, 7 dates, 3 JSON
// values each) spent more on that than the built-in students list spends
// on its whole page (issue 14). TestRecordJSONMatchesPocketBase holds the
// bytes equal.

// RespondList answers result with records as its items, as e.JSON(200,
// result) would; with ?fields= it is e.JSON itself (PocketBase's picker
// decides what stays).
func RespondList(e *core.RequestEvent, result *search.Result, records []*core.Record) error {
	if e.Request.URL.Query().Get("fields") != "" {
		result.Items = records
		return e.JSON(http.StatusOK, result)
	}
	var buf bytes.Buffer
	buf.Grow(1024 * (len(records) + 1))
	buf.WriteString(`{"items":[`)
	for i, r := range records {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := AppendRecordJSON(&buf, r); err != nil {
			return e.InternalServerError("", err)
		}
	}
	return writeListEnd(e, &buf, result)
}

// AppendRecordJSON appends json.Marshal(r)'s bytes to buf: the keys of
// r.PublicExport() in order, plain strings, dates and whole numbers
// written directly, every other value through json.Marshal.
func AppendRecordJSON(buf *bytes.Buffer, r *core.Record) error {
	export := r.PublicExport()
	keys := make([]string, 0, len(export))
	for k := range export {
		keys = append(keys, k)
	}
	slices.Sort(keys) // as encoding/json orders a map's keys
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := appendJSONString(buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := appendJSONValue(buf, export[k]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func appendJSONValue(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case string:
		return appendJSONString(buf, v)
	case types.JSONRaw:
		// Valid JSON (PrepareValue quotes what is not) that compacting and
		// HTML-escaping would leave as it is.
		if plainJSON(v) {
			buf.Write(v)
			return nil
		}
	case types.DateTime:
		buf.WriteByte('"')
		buf.WriteString(v.String())
		buf.WriteByte('"')
		return nil
	case bool:
		buf.WriteString(strconv.FormatBool(v))
		return nil
	case float64:
		// encoding/json writes a float in 'f' form between 1e-6 and 1e21;
		// a whole number there has no fraction to round.
		if v == math.Trunc(v) && math.Abs(v) < 1e21 {
			buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
			return nil
		}
	case []string:
		if v == nil {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendJSONString(buf, s); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// appendJSONString writes s as is when encoding/json would (printable
// ASCII with nothing to escape, HTML's <, > and & included), else asks it.
func appendJSONString(buf *bytes.Buffer, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, err := json.Marshal(s)
			if err != nil {
				return err
			}
			buf.Write(b)
			return nil
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
	return nil
}

// plainJSON reports whether a prepared JSON value is written as it is: no
// whitespace to compact, nothing HTML-escaping changes (<, >, &, U+2028,
// U+2029) and no escape (strconv.Quote's \x00 is no JSON). Empty is null.
func plainJSON(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '\\' {
			return false
		}
	}
	return true
}
