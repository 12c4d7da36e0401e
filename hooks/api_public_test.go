package hooks_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"cedarheights/internal/testapp"
)

func TestPublicTeachers(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/public/teachers"
	// Nothing private may leave: no user ids, e-mails, capacity or flags.
	private := []string{f.TeacherXUser.ID, f.TeacherYUser.ID, "@cedarheights.test", `"user"`, `"capacity"`, `"public"`, `"active"`, f.TeacherHidden, "Hana"}
	xu := `{"id":"` + f.TeacherX + `","display_name":"Xavier Xu","bio":"\u003cp\u003eConcert pianist.\u003c/p\u003e","photo":"","instruments":[{"id":"` + f.Piano + `","name":"Piano"}],"lesson_lengths":[30,45],"levels":["beginner","intermediate"]}`
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous sees public active teachers and public fields only", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{xu, `"display_name":"Yara Young"`, `"lesson_lengths":[30,60]`},
			NotExpectedContent: private,
		},
		{
			Name: "a signed-in caller sees the same public list", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{xu}, NotExpectedContent: private,
			AfterTestFunc: apiExpectIDs(f.TeacherX, f.TeacherY),
		},
		{
			Name: "a public but inactive teacher is not listed", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				r := testapp.Record(t, app, "teachers", f.TeacherY)
				r.Set("active", false)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: apiExpectIDs(f.TeacherX),
		},
		{
			Name: "inactive instruments are left out, for signed-in callers too", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"name":"Piano"`}, NotExpectedContent: []string{"Theremin", f.Theremin},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				r := testapp.Record(t, app, "teachers", f.TeacherX)
				r.Set("instruments", []string{f.Piano, f.Theremin})
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			Name: "a photo is its file URL path", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`"photo":"/api/files/pbc_teachers/` + f.TeacherX + `/portrait_`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				var buf bytes.Buffer
				if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
					t.Fatal(err)
				}
				file, err := filesystem.NewFileFromBytes(buf.Bytes(), "portrait.png")
				if err != nil {
					t.Fatal(err)
				}
				r := testapp.Record(t, app, "teachers", f.TeacherX)
				r.Set("photo", file)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
		},
	})
}

func TestPublicPricing(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/public/pricing"
	plan := `{"id":"` + f.PlanPublic + `","name":"Monthly 30 min","lesson_minutes":30,"lessons_per_period":4,"interval":"month","amount":14000,"currency":"cad"}`
	private := []string{f.PlanHidden, "Staff rate", "stripe", `"public"`, `"active"`}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous sees public active plans, amounts in minor units", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`{"items":[` + plan + `]}`}, NotExpectedContent: private,
		},
		{
			Name: "admin sees the same public list", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`{"items":[` + plan + `]}`}, NotExpectedContent: private,
		},
		{
			Name: "an inactive public plan is not listed", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`{"items":[]}`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				r := testapp.Record(t, app, "pricing_plans", f.PlanPublic)
				r.Set("active", false)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			Name: "plans come cheapest first", Method: http.MethodGet, URL: url,
			ExpectedStatus: 200, ExpectedContent: []string{`"amount":9500,"currency":"cad"},` + plan},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				c, _ := app.FindCollectionByNameOrId("pricing_plans")
				r := core.NewRecord(c)
				r.Load(map[string]any{"name": "Group", "lesson_minutes": 45, "lessons_per_period": 10, "interval": "semester",
					"amount": 9500, "currency": "cad", "public": true, "active": true})
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
		},
	})
}
