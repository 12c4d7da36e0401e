package hooks

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// list_rows.go: a list answered from its rows. PocketBase builds a Record
// for every row (a map of every field's value, each prepared by its field)
// and then exports it to another map to encode it; for a page of workflow
// runs (22 keys, 7 dates, 3 JSON values each) that cost more than the
// built-in students list's whole request (issue 14). When nothing can tell
// the difference, the same values are prepared by the same fields straight
// from the rows and written in the keys' order. TestListRowsMatchRecords
// holds the bytes equal to the records' encoding.

// RespondVisibleList answers ListVisible(e, collectionName, q) as
// EnrichRecords and e.JSON would.
func RespondVisibleList(e *core.RequestEvent, collectionName string, q ListQuery) error {
	collection, err := e.App.FindCachedCollectionByNameOrId(collectionName)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if !rowsWillDo(e, collection) {
		result, records, err := ListVisible(e, collectionName, q)
		if err != nil {
			return err
		}
		if err := apis.EnrichRecords(e, records); err != nil {
			return EnrichError(e, err)
		}
		return RespondList(e, result, records)
	}
	rows := []dbx.NullStringMap{}
	result, err := listVisible(e, collectionName, q, &rows)
	if err != nil {
		return err
	}
	enc := newRowEncoder(collection)
	var buf bytes.Buffer
	buf.Grow(1024 * (len(rows) + 1))
	buf.WriteString(`{"items":[`)
	for i, row := range rows {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.append(&buf, row); err != nil {
			return e.InternalServerError("", err)
		}
	}
	return writeListEnd(e, &buf, result)
}

// rowsWillDo reports whether a page of collection's records would be
// written as its rows' values are: no caller-specific visibility (a
// superuser is shown hidden fields, an auth record's email depends on the
// caller), no field with a getter of its own (file, password), nothing to
// expand or pick, and no OnRecordEnrich handler to change a record.
func rowsWillDo(e *core.RequestEvent, collection *core.Collection) bool {
	if !collection.IsBase() || IsSuperuser(e) || e.App.OnRecordEnrich().Length() > 0 {
		return false
	}
	query := e.Request.URL.Query()
	if query.Get("expand") != "" || query.Get("fields") != "" {
		return false
	}
	for _, f := range collection.Fields {
		if _, ok := f.(core.GetterFinder); ok {
			return false
		}
	}
	return true
}

// rowEncoder writes a row as json.Marshal(record) would write the record
// read from it: the shown fields and the collection's id and name, in key
// order, each field's value as its PrepareValue makes it from the column.
type rowEncoder struct {
	keys   []string     // `"name":`, with the comma before all but the first
	fields []core.Field // nil for a constant
	consts []string     // the constants' encoded values
	probe  *core.Record // what PrepareValue is handed; never changed
}

func newRowEncoder(collection *core.Collection) *rowEncoder {
	type entry struct {
		name  string
		field core.Field
		value string
	}
	var entries []entry
	for _, f := range collection.Fields {
		if !f.GetHidden() {
			entries = append(entries, entry{name: f.GetName(), field: f})
		}
	}
	var b bytes.Buffer
	for _, c := range []struct{ name, value string }{
		{core.FieldNameCollectionId, collection.Id},
		{core.FieldNameCollectionName, collection.Name},
	} {
		b.Reset()
		appendJSONString(&b, c.value)
		entries = append(entries, entry{name: c.name, value: b.String()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	enc := &rowEncoder{probe: core.NewRecord(collection)}
	for i, en := range entries {
		b.Reset()
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSONString(&b, en.name)
		b.WriteByte(':')
		enc.keys = append(enc.keys, b.String())
		enc.fields = append(enc.fields, en.field)
		enc.consts = append(enc.consts, en.value)
	}
	return enc
}

func (enc *rowEncoder) append(buf *bytes.Buffer, row dbx.NullStringMap) error {
	buf.WriteByte('{')
	for i, f := range enc.fields {
		buf.WriteString(enc.keys[i])
		if f == nil {
			buf.WriteString(enc.consts[i])
			continue
		}
		var raw any // as newRecordFromNullStringMap hands a column over
		if v, ok := row[f.GetName()]; ok && v.Valid {
			raw = v.String
		}
		value, err := f.PrepareValue(enc.probe, raw)
		if err != nil {
			return err
		}
		if err := appendJSONValue(buf, value); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// writeListEnd closes the items buf holds with result's page figures and
// writes the answer, as e.JSON(200, result) ends it.
func writeListEnd(e *core.RequestEvent, buf *bytes.Buffer, result *search.Result) error {
	AppendListEnd(buf, result)
	if e.Response.Header().Get("Content-Type") == "" {
		e.Response.Header().Set("Content-Type", "application/json")
	}
	e.Response.WriteHeader(http.StatusOK)
	_, err := e.Response.Write(buf.Bytes())
	return err
}

// AppendListEnd closes the items of a list written into buf with result's
// page figures, as json.Encoder ends search.Result (newline included).
func AppendListEnd(buf *bytes.Buffer, result *search.Result) {
	buf.WriteString(`],"page":`)
	buf.WriteString(strconv.Itoa(result.Page))
	buf.WriteString(`,"perPage":`)
	buf.WriteString(strconv.Itoa(result.PerPage))
	buf.WriteString(`,"totalItems":`)
	buf.WriteString(strconv.Itoa(result.TotalItems))
	buf.WriteString(`,"totalPages":`)
	buf.WriteString(strconv.Itoa(result.TotalPages))
	buf.WriteString("}\n")
}
