package workflows

import (
	"bytes"
	"slices"
)

// state_scan.go: the step's output (the fields a node changed) without
// decoding the state. A node's state is JSON the engine encoded itself
// (compact, keys escaped as encoding/json escapes them), so its top-level
// members can be compared as bytes; json.Unmarshal into maps and Marshal
// of the changes cost a step more than its SQL statement. Anything the
// scanner does not expect (escapes in keys, duplicates, many fields)
// returns ok false and mergeState decodes as before.

// maxScanned bounds the fields compared pairwise.
const maxScanned = 32

type member struct{ key, val []byte } // key without its quotes

var jsonNull = []byte("null")

// members appends a JSON object's top-level members to out.
func members(out []member, b []byte) ([]member, bool) {
	first := len(out)
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' || len(out)-first == maxScanned {
			return nil, false
		}
		start := i + 1
		i = start
		for i < len(b) && b[i] != '"' {
			if c := b[i]; c == '\\' || c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
				return nil, false // keys Marshal would write otherwise
			}
			i++
		}
		if i >= len(b) {
			return nil, false
		}
		key := b[start:i]
		i = skipSpace(b, i+1)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		end, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		for _, m := range out[first:] {
			if bytes.Equal(m.key, key) {
				return nil, false
			}
		}
		out = append(out, member{key, b[i:end]})
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return out, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default: // a number, true, false or null
		start := i
		for i < len(b) && bytes.IndexByte([]byte(",}] \n\t\r"), b[i]) < 0 {
			i++
		}
		return i, i > start
	}
}

// skipString returns the end of the string whose quote is at i.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// scanDiff is mergeState's diff of two objects by their members: the
// fields of updated that are new or differ from base, and base's fields
// missing from updated as null, keys sorted as json.Marshal sorts a map's.
func scanDiff(base, updated []byte) ([]byte, bool) {
	var bm, um [maxScanned]member // on the stack: nothing allocated but the diff
	var cm [2 * maxScanned]member
	b, ok := members(bm[:0], base)
	if !ok {
		return nil, false
	}
	u, ok := members(um[:0], updated)
	if !ok {
		return nil, false
	}
	changes := cm[:0]
	for _, m := range u {
		if i := slices.IndexFunc(b, func(o member) bool { return bytes.Equal(o.key, m.key) }); i < 0 || !bytes.Equal(b[i].val, m.val) {
			changes = append(changes, m)
		}
	}
	for _, m := range b {
		if !slices.ContainsFunc(u, func(o member) bool { return bytes.Equal(o.key, m.key) }) {
			changes = append(changes, member{m.key, jsonNull})
		}
	}
	slices.SortFunc(changes, func(x, y member) int { return bytes.Compare(x.key, y.key) })
	n := 2
	for _, m := range changes {
		n += len(m.key) + len(m.val) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range changes {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.key...)
		out = append(out, '"', ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), true
}
