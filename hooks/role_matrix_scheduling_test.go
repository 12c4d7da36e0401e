package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestRoleMatrixSchedulingCollections covers the collections the
// scheduling issue added: make-up credits (the family reads its own, only
// admins write) and calendar feeds (owners read their own token, nobody
// writes through the record API: the /api/v1/calendars routes mint them).
func TestRoleMatrixSchedulingCollections(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	const creditA, creditB, feedX, feedA = "creditforamy01", "creditforben01", "feedforteachx1", "feedforfamilya"
	seed := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		save := func(collection, id string, data map[string]any) {
			c, _ := app.FindCollectionByNameOrId(collection)
			r := core.NewRecord(c)
			r.Id = id
			r.Load(data)
			if err := app.SaveNoValidate(r); err != nil {
				t.Fatal(err)
			}
		}
		save("makeup_credits", creditA, map[string]any{"student": f.StudentA1, "source_lesson": f.LessonA1, "reason": "matrix", "expires": "2031-01-01 00:00:00.000Z"})
		save("makeup_credits", creditB, map[string]any{"student": f.StudentB1, "source_lesson": f.LessonB1, "reason": "matrix", "expires": "2031-01-01 00:00:00.000Z"})
		save("calendar_feeds", feedX, map[string]any{"kind": "teacher", "teacher": f.TeacherX, "token": strings.Repeat("x", 40)})
		save("calendar_feeds", feedA, map[string]any{"kind": "family", "family": f.ParentA.ID, "token": strings.Repeat("a", 40)})
	}
	credit := `{"student":"` + f.StudentA1 + `","source_lesson":"` + f.LessonB1 + `","reason":"forged","expires":"2031-01-01 00:00:00.000Z"}`
	feed := `{"kind":"family","family":"` + f.ParentB.ID + `","token":"` + strings.Repeat("b", 40) + `"}`
	type row struct {
		who        testapp.Account
		method     string
		path, body string
		status     int
		present    []string
		absent     []string
	}
	anon := testapp.Account{}
	credits, feeds := "/api/collections/makeup_credits/records", "/api/collections/calendar_feeds/records"
	rows := []row{
		{anon, http.MethodGet, credits, "", 200, nil, []string{creditA, creditB}},
		{f.ParentA, http.MethodGet, credits, "", 200, []string{creditA}, []string{creditB}},
		{f.ParentB, http.MethodGet, credits, "", 200, []string{creditB}, []string{creditA}},
		{f.ParentA, http.MethodGet, credits + "/" + creditB, "", 404, nil, nil},
		{f.TeacherXUser, http.MethodGet, credits, "", 200, nil, []string{creditA, creditB}},
		{f.Admin, http.MethodGet, credits, "", 200, []string{creditA, creditB}, nil},
		{f.ParentA, http.MethodPost, credits, credit, 400, nil, nil},
		{f.TeacherXUser, http.MethodPost, credits, credit, 400, nil, nil},
		{f.ParentA, http.MethodPatch, credits + "/" + creditA, `{"expires":"2040-01-01 00:00:00.000Z"}`, 404, nil, nil},
		{f.ParentA, http.MethodDelete, credits + "/" + creditA, "", 404, nil, nil},
		{f.Admin, http.MethodPatch, credits + "/" + creditA, `{"reason":"adjusted"}`, 200, nil, nil},

		{anon, http.MethodGet, feeds, "", 200, nil, []string{feedX, feedA}},
		{f.TeacherXUser, http.MethodGet, feeds, "", 200, []string{feedX}, []string{feedA}},
		{f.TeacherYUser, http.MethodGet, feeds, "", 200, nil, []string{feedX, feedA}},
		{f.ParentA, http.MethodGet, feeds, "", 200, []string{feedA}, []string{feedX}},
		{f.ParentB, http.MethodGet, feeds, "", 200, nil, []string{feedX, feedA}},
		{f.ParentB, http.MethodGet, feeds + "/" + feedA, "", 404, nil, nil},
		{f.Admin, http.MethodGet, feeds, "", 200, []string{feedX, feedA}, nil},
		{f.ParentB, http.MethodPost, feeds, feed, 403, nil, nil},
		{f.Admin, http.MethodPost, feeds, feed, 403, nil, nil},
		{f.ParentA, http.MethodPatch, feeds + "/" + feedA, `{"token":"` + strings.Repeat("c", 40) + `"}`, 403, nil, nil},
		{f.Admin, http.MethodDelete, feeds + "/" + feedA, "", 204, nil, nil},
	}
	scenarios := make([]tests.ApiScenario, 0, len(rows))
	for _, r := range rows {
		headers := map[string]string{}
		if r.who.Token != "" {
			headers["Authorization"] = r.who.Token
		}
		s := tests.ApiScenario{
			Name:   r.who.Email + " " + r.method + " " + r.path,
			Method: r.method, URL: r.path, Body: strings.NewReader(r.body), Headers: headers,
			ExpectedStatus:     r.status,
			ExpectedContent:    append([]string{`"`}, r.present...),
			NotExpectedContent: r.absent,
		}
		if r.status == 204 {
			s.ExpectedContent = nil
		}
		scenarios = append(scenarios, s)
	}
	// The reads and the refused writes share one seeded clone.
	apiSeeded(t, seed, scenarios)
}
