package hooks_test

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
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

// An anonymous catalogue is encoded once and kept until a teacher or an
// instrument changes (freetime's counter): the second request reads no
// teachers, and an edit shows on the next one.
func TestPublicTeachersKeptUntilAChange(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	var (
		mu    sync.Mutex
		reads int
	)
	app.ConcurrentDB().(*dbx.DB).QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
		if strings.Contains(q, "FROM `teachers`") {
			mu.Lock()
			reads++
			mu.Unlock()
		}
	}
	t.Cleanup(func() { app.ConcurrentDB().(*dbx.DB).QueryLogFunc = nil })
	get := func() (string, int) {
		t.Helper()
		res, err := http.Get(srv.URL + "/api/v1/public/teachers")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		mu.Lock()
		defer mu.Unlock()
		n := reads
		reads = 0
		return string(body), n
	}
	first, n := get()
	if n == 0 || !strings.Contains(first, `"Xavier Xu"`) {
		t.Fatalf("first answer read %d times: %s", n, first)
	}
	if again, n := get(); n != 0 || again != first {
		t.Errorf("second answer read teachers %d times (%v)", n, again == first)
	}
	r := testapp.Record(t, app, "teachers", f.TeacherX)
	r.Set("display_name", "Xavier Renamed")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if after, _ := get(); !strings.Contains(after, `"Xavier Renamed"`) {
		t.Errorf("the edit is not shown: %s", after)
	}
}
