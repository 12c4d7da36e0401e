package peopleapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// TestWindowsPageAnswersAsEncodingJSON: the page written with the kept
// windows holds what e.JSON wrote for the same teachers with their windows
// as expand (json.Encoder: HTML escaped, a closing newline), and carries
// each kept encoding byte for byte instead of compacting it again.
func TestWindowsPageAnswersAsEncodingJSON(t *testing.T) {
	teachers := core.NewBaseCollection("teachers")
	teachers.Fields.Add(&core.TextField{Name: "display_name"}, &core.TextField{Name: "bio"}, &core.BoolField{Name: "active"})
	teacher := func(id, name string) *core.Record {
		r := core.NewRecord(teachers)
		r.Id = id
		r.Set("display_name", name)
		r.Set("bio", "Plays <b>cello</b> & piano")
		r.Set("active", true)
		return r
	}
	// Spaced as no encoder writes it: compacting would show.
	const kept = `[ {"id": "w1", "weekday": 2, "start_time": "16:00"} ]`

	cases := []struct {
		name    string
		result  search.Result
		ids     []string
		windows map[string]json.RawMessage
	}{
		{"one teacher", search.Result{Page: 1, PerPage: 20, TotalItems: -1, TotalPages: -1}, []string{"t1"},
			map[string]json.RawMessage{"t1": json.RawMessage(kept)}},
		{"a teacher with no window kept gets none", search.Result{Page: 2, PerPage: 2, TotalItems: 3, TotalPages: 2}, []string{"t1", "t2"},
			map[string]json.RawMessage{"t1": json.RawMessage(kept)}},
		{"empty windows", search.Result{Page: 1, PerPage: 20, TotalItems: 2, TotalPages: 1}, []string{"t1", "t2"},
			map[string]json.RawMessage{"t1": json.RawMessage(`[]`), "t2": json.RawMessage(kept)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var records []*core.Record
			for _, id := range tc.ids {
				records = append(records, teacher(id, "Ana <&> "+id))
			}
			got, err := windowsPage(&tc.result, records, tc.windows)
			if err != nil {
				t.Fatal(err)
			}

			// What the route answered before: records with their windows as
			// expand, through json.Encoder as e.JSON encodes.
			for _, r := range records {
				w := tc.windows[r.Id]
				if w == nil {
					w = json.RawMessage(`[]`)
				}
				r.SetExpand(map[string]any{availabilityExpand: w})
			}
			want := tc.result
			want.Items = records
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(&want); err != nil {
				t.Fatal(err)
			}

			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("%v: %s", err, got)
			}
			if err := json.Unmarshal(buf.Bytes(), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("page\n%s\nwant\n%s", got, buf.Bytes())
			}
			if !strings.HasSuffix(string(got), "}\n") || strings.ContainsAny(string(got), "<>&") {
				t.Errorf("not written as json.Encoder writes: %q", got)
			}
			if n := strings.Count(string(got), kept); n != strings.Count(buf.String(), `"start_time":"16:00"`) {
				t.Errorf("%d kept encodings written as kept, want one per teacher holding them: %s", n, got)
			}
		})
	}
}
