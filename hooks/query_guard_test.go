package hooks

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

func TestGuardRealtimeOptions(t *testing.T) {
	t.Parallel()
	topic := func(query map[string]string) string {
		opts := `{"query":{`
		first := true
		for k, v := range query {
			if !first {
				opts += ","
			}
			first = false
			opts += `"` + k + `":"` + v + `"`
		}
		return "lessons/*?options=" + url.QueryEscape(opts+"}}")
	}
	for _, c := range []struct {
		name      string
		topics    []string
		superuser bool
		refused   string
	}{
		{"plain topics", []string{"lessons", "lessons/abc"}, false, ""},
		{"a modest filter and expand", []string{topic(map[string]string{"filter": `teacher.display_name != ''`, "expand": "teacher"})}, false, ""},
		{"a deep filter", []string{"lessons", topic(map[string]string{"filter": `teacher.lessons_via_teacher.student.lessons_via_student.id != ''`})}, false, "filter"},
		{"a deep expand", []string{topic(map[string]string{"expand": "teacher.lessons_via_teacher.student.lessons_via_student"})}, false, "expand"},
		{"a superuser is exempt", []string{topic(map[string]string{"filter": `teacher.lessons_via_teacher.student.lessons_via_student.id != ''`})}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &core.RealtimeSubscribeRequestEvent{Subscriptions: c.topics}
			e.RequestEvent = &core.RequestEvent{Event: router.Event{Request: httptest.NewRequest("POST", "/api/realtime", nil)}}
			if c.superuser {
				e.Auth = core.NewRecord(core.NewAuthCollection(core.CollectionNameSuperusers))
			}
			err := guardRealtimeOptions(e)
			if c.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			apiErr, ok := err.(*router.ApiError)
			if !ok || apiErr.Status != 400 || apiErr.Data[c.refused] == nil {
				t.Fatalf("err = %#v; want a 400 naming %s", err, c.refused)
			}
		})
	}
}
