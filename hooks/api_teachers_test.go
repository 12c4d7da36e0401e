package hooks_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

func TestTeachersList(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/teachers"
	// windowsOf checks each listed teacher carries exactly its windows.
	windowsOf := func(want map[string][]string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
			items := apiDecode(t, res)["items"].([]any)
			if len(items) != len(want) {
				t.Fatalf("listed %d teachers, want %d", len(items), len(want))
			}
			for _, it := range items {
				teacher := it.(map[string]any)
				id := teacher["id"].(string)
				expand, _ := teacher["expand"].(map[string]any)
				windows, ok := expand["availability_via_teacher"].([]any)
				if !ok {
					t.Fatalf("teacher %s has no availability: %v", id, teacher)
				}
				var got []string
				for _, w := range windows {
					got = append(got, w.(map[string]any)["id"].(string))
				}
				if !slices.Equal(got, want[id]) {
					t.Fatalf("teacher %s windows %v, want %v", id, got, want[id])
				}
			}
		}
	}
	all := map[string][]string{f.TeacherX: {f.AvailabilityX}, f.TeacherY: {f.AvailabilityY}, f.TeacherHidden: nil}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodGet, URL: url,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "parent sees active teachers with their windows", Method: http.MethodGet, URL: url + "?availability=1",
			Headers: apiAs(f.ParentA), ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":3`, `"availability_via_teacher":[{`, `"start_time":"15:00"`},
			AfterTestFunc:   windowsOf(all),
		},
		{
			Name: "an inactive teacher is listed only for itself and admins", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				r := testapp.Record(t, app, "teachers", f.TeacherY)
				r.Set("active", false)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: apiExpectIDs(f.TeacherX, f.TeacherHidden),
		},
		{
			Name: "windows come sorted by weekday and time", Method: http.MethodGet, URL: url + "?q=xav&availability=true",
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				c, _ := app.FindCollectionByNameOrId("availability")
				for i, w := range [][3]any{{5, "09:00", "10:00"}, {0, "12:00", "13:00"}, {1, "08:00", "09:00"}} {
					r := core.NewRecord(c)
					r.Id = fmt.Sprintf("extrawindow%04d", i)
					r.Load(map[string]any{"teacher": f.TeacherX, "weekday": w[0], "start_time": w[1], "end_time": w[2]})
					if err := app.Save(r); err != nil {
						t.Fatal(err)
					}
				}
			},
			AfterTestFunc: windowsOf(map[string][]string{f.TeacherX: {"extrawindow0001", "extrawindow0002", f.AvailabilityX, "extrawindow0000"}}),
		},
		{
			Name: "windows the availability rules hide are left out", Method: http.MethodGet, URL: url + "?availability=1",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: superusersOnlyAvailability,
			AfterTestFunc:  windowsOf(map[string][]string{f.TeacherX: nil, f.TeacherY: nil, f.TeacherHidden: nil}),
		},
		{
			Name: "a superuser passes a superusers-only availability rule", Method: http.MethodGet, URL: url + "?availability=1",
			Headers: apiAs(f.Superuser), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			BeforeTestFunc: superusersOnlyAvailability,
			AfterTestFunc:  windowsOf(all),
		},
		{
			Name: "admin filters by instrument", Method: http.MethodGet, URL: url + "?instrument=" + f.Violin,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.TeacherY, f.TeacherHidden),
		},
		{
			Name: "superuser pages and sorts", Method: http.MethodGet, URL: url + "?per_page=1&sort=-name&availability=1",
			Headers: apiAs(f.Superuser), ExpectedStatus: 200,
			ExpectedContent: []string{`"perPage":1`, `"totalItems":3`, `"display_name":"Yara Young"`, `"availability_via_teacher":[{`},
		},
		{
			Name: "without ?availability the windows stay home", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":3`, `"display_name":"Xavier Xu"`}, NotExpectedContent: []string{`availability_via_teacher`, `"start_time"`},
		},
		{
			Name: "invalid parameters are 400 naming each", Method: http.MethodGet, URL: url + "?instrument=a%20b&per_page=0&sort=bio&availability=yes",
			Headers: apiAs(f.ParentA), ExpectedStatus: 400,
			ExpectedContent: []string{`"instrument":{"code"`, `"per_page":{"code"`, `"sort":{"code"`, `"availability":{"code"`},
		},
	})
}

// superusersOnlyAvailability sets the availability ListRule to nil, which
// PocketBase reads as "superusers only".
func superusersOnlyAvailability(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
	c, err := app.FindCollectionByNameOrId("availability")
	if err != nil {
		t.Fatal(err)
	}
	c.ListRule = nil
	if err := app.Save(c); err != nil {
		t.Fatal(err)
	}
}

func TestTeachersCreate(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/teachers"
	const newUser = "newteacheruser1"
	// addUser stores a user with the given role under the id newUser.
	addUser := func(role string) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
		return func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			c, _ := app.FindCollectionByNameOrId("users")
			u := core.NewRecord(c)
			u.Id = newUser
			u.Load(map[string]any{"name": "Nina New", "role": role})
			u.SetEmail("nina@cedarheights.test")
			u.SetPassword(testapp.Password)
			if err := app.Save(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	profile := func(user string) map[string]any {
		return map[string]any{"user": user, "display_name": "Nina New", "bio": "<p>Cellist</p>",
			"instruments": []string{f.Violin}, "lesson_lengths": []string{"30", "60"}, "capacity": 12,
			"levels": []string{"beginner"}, "public": true, "active": true}
	}
	with := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
	without := func(m map[string]any, k string) map[string]any { delete(m, k); return m }
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := apiCount(t, app, "teachers"); n != 3 {
			t.Fatalf("teachers = %d, want the 3 fixtures", n)
		}
	}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url, Body: apiBody(profile(newUser)),
			BeforeTestFunc: addUser("teacher"), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: unchanged,
		},
		{
			Name: "admin creates a profile for a teacher user", Method: http.MethodPost, URL: url, Body: apiBody(profile(newUser)),
			Headers: apiAs(f.Admin), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 201,
			ExpectedContent: []string{`"user":"` + newUser + `"`, `"display_name":"Nina New"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("teachers", "user", newUser)
				if err != nil {
					t.Fatal(err)
				}
				if r.GetInt("capacity") != 12 || !r.GetBool("public") || r.GetString("display_name") != "Nina New" {
					t.Fatalf("stored %v", r.FieldsData())
				}
			},
		},
		{
			Name: "parent is 403", Method: http.MethodPost, URL: url, Body: apiBody(profile(newUser)),
			Headers: apiAs(f.ParentA), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 403,
			ExpectedContent: []string{`"status":403`}, AfterTestFunc: unchanged,
		},
		{
			Name: "teacher is 403", Method: http.MethodPost, URL: url, Body: apiBody(profile(newUser)),
			Headers: apiAs(f.TeacherXUser), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 403,
			ExpectedContent: []string{`"status":403`}, AfterTestFunc: unchanged,
		},
		{
			Name: "a user without the teacher role is 400 on user", Method: http.MethodPost, URL: url, Body: apiBody(profile(f.ParentA.ID)),
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"user":{"code":"validation_not_teacher"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "a second profile for a user is 400 on user", Method: http.MethodPost, URL: url, Body: apiBody(profile(f.TeacherXUser.ID)),
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"user":{"code":"validation_not_unique"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "an unknown user is 400 on user", Method: http.MethodPost, URL: url, Body: apiBody(profile("nosuchuser00000")),
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"user":{"code":"validation_missing_rel_records"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "a missing user is 400 on user", Method: http.MethodPost, URL: url, Body: apiBody(without(profile(""), "user")),
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"user":{"code":"validation_required"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "missing profile fields are 400 naming them", Method: http.MethodPost, URL: url,
			Body:    apiBody(without(without(profile(newUser), "display_name"), "lesson_lengths")),
			Headers: apiAs(f.Admin), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 400,
			ExpectedContent: []string{`"display_name":{"code":"validation_required"`, `"lesson_lengths":{"code":"validation_required"`},
			AfterTestFunc:   unchanged,
		},
		{
			Name: "wrong types are 400 naming each field", Method: http.MethodPost, URL: url,
			Body:    apiBody(with(with(with(profile(newUser), "capacity", "ten"), "public", "yes"), "lesson_lengths", []any{30})),
			Headers: apiAs(f.Admin), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 400,
			ExpectedContent: []string{`"capacity":{"code":"validation_invalid_type"`, `"public":{"code":"validation_invalid_type"`, `"lesson_lengths":{"code":"validation_invalid_type"`},
			AfterTestFunc:   unchanged,
		},
		{
			Name: "an unoffered lesson length is 400 on lesson_lengths", Method: http.MethodPost, URL: url,
			Body:    apiBody(with(profile(newUser), "lesson_lengths", []string{"25"})),
			Headers: apiAs(f.Admin), BeforeTestFunc: addUser("teacher"), ExpectedStatus: 400,
			ExpectedContent: []string{`"lesson_lengths":{"code":"validation_invalid_value"`}, AfterTestFunc: unchanged,
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"user":`),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: unchanged,
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url, Body: apiOversized("bio"),
			Headers: apiAs(f.Admin), ExpectedStatus: 413, ExpectedContent: []string{`"status":413`}, AfterTestFunc: unchanged,
		},
	})
}

func TestTeachersAvailability(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := func(teacher string) string { return "/api/v1/teachers/" + teacher + "/availability" }
	week := []map[string]any{
		{"weekday": 1, "start_time": "16:00", "end_time": "19:00", "valid_from": "2026-01-05", "valid_to": ""},
		{"weekday": 3, "start_time": "15:30", "end_time": "18:00"},
		{"weekday": 1, "start_time": "19:00", "end_time": "20:00"}, // touches the first: no overlap
	}
	windows := func(ws ...map[string]any) map[string]any { return map[string]any{"windows": ws} }
	window := func(i int, k string, v any) []map[string]any {
		out := make([]map[string]any, len(week))
		for j, w := range week {
			out[j] = map[string]any{}
			for key, val := range w {
				out[j][key] = val
			}
		}
		out[i][k] = v
		return out
	}
	// stored lists a teacher's windows as "weekday start-end from..to".
	stored := func(t testing.TB, app core.App, teacher string) []string {
		rs, err := app.FindAllRecords("availability", dbx.HashExp{"teacher": teacher})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, 0, len(rs))
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%d %s-%s %s..%s", r.GetInt("weekday"), r.GetString("start_time"), r.GetString("end_time"),
				strings.TrimSuffix(r.GetString("valid_from"), " 00:00:00.000Z"), strings.TrimSuffix(r.GetString("valid_to"), " 00:00:00.000Z")))
		}
		slices.Sort(out)
		return out
	}
	expect := func(teacher string, want ...string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			t.Helper()
			if got := stored(t, app, teacher); !slices.Equal(got, want) {
				t.Fatalf("teacher %s windows %q, want %q", teacher, got, want)
			}
		}
	}
	xUntouched := expect(f.TeacherX, "1 15:00-19:00 ..")
	replaced := []string{"1 16:00-19:00 2026-01-05..", "1 19:00-20:00 ..", "3 15:30-18:00 .."}

	apiRun(t, []tests.ApiScenario{
		{
			Name: "teacher X replaces its own windows", Method: http.MethodPut, URL: url(f.TeacherX), Body: apiBody(windows(week...)),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200,
			ExpectedContent:    []string{`"teacher":"` + f.TeacherX + `"`, `"start_time":"16:00"`, `"valid_from":"2026-01-05 00:00:00.000Z"`},
			NotExpectedContent: []string{f.AvailabilityX},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				expect(f.TeacherX, replaced...)(t, app, res)
				expect(f.TeacherY, "3 10:00-14:00 ..")(t, app, res) // another teacher's windows stay
				apiAudited(t, app, f.TeacherXUser, "delete", "availability", f.AvailabilityX)
			},
		},
		{
			Name: "admin replaces any teacher's windows", Method: http.MethodPut, URL: url(f.TeacherY), Body: apiBody(windows(week...)),
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"windows":[{`},
			AfterTestFunc: expect(f.TeacherY, replaced...),
		},
		{
			Name: "an empty list clears the week", Method: http.MethodPut, URL: url(f.TeacherX), Body: strings.NewReader(`{"windows":[]}`),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200, ExpectedContent: []string{`"windows":[]`},
			AfterTestFunc: expect(f.TeacherX),
		},
		{
			Name: "teacher Y replacing teacher X's windows is 403", Method: http.MethodPut, URL: url(f.TeacherX), Body: apiBody(windows(week...)),
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: xUntouched,
		},
		{
			Name: "teacher Y clearing teacher X's windows is 403", Method: http.MethodPut, URL: url(f.TeacherX), Body: strings.NewReader(`{"windows":[]}`),
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: xUntouched,
		},
		{
			Name: "teacher Y is 403 even when teacher X has no windows", Method: http.MethodPut, URL: url(f.TeacherX), Body: strings.NewReader(`{"windows":[]}`),
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				if err := app.Delete(testapp.Record(t, app, "availability", f.AvailabilityX)); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: expect(f.TeacherX),
		},
		{
			Name: "parent is 403", Method: http.MethodPut, URL: url(f.TeacherX), Body: apiBody(windows(week...)),
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "anonymous is 401", Method: http.MethodPut, URL: url(f.TeacherX), Body: apiBody(windows(week...)),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "unknown teacher is 404", Method: http.MethodPut, URL: url("nosuchteacher00"), Body: apiBody(windows(week...)),
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a teacher hidden from the caller is 404", Method: http.MethodPut, URL: url(f.TeacherY), Body: apiBody(windows(week...)),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				r := testapp.Record(t, app, "teachers", f.TeacherY)
				r.Set("active", false)
				if err := app.Save(r); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: expect(f.TeacherY, "3 10:00-14:00 .."),
		},
		{
			Name: "a weekday name is 400 on that window's weekday", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(1, "weekday", "monday")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.1.weekday":{"code":"validation_invalid_weekday"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "weekday 7 and 1.5 are 400", Method: http.MethodPut, URL: url(f.TeacherX),
			Body:    strings.NewReader(`{"windows":[{"weekday":7,"start_time":"10:00","end_time":"11:00"},{"weekday":1.5,"start_time":"10:00","end_time":"11:00"}]}`),
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0.weekday":{`, `"windows.1.weekday":{`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "missing fields are 400 naming each", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: strings.NewReader(`{"windows":[{"start_time":""}]}`), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0.weekday":{"code":"validation_required"`, `"windows.0.start_time":{"code":"validation_required"`, `"windows.0.end_time":{"code":"validation_required"`},
			AfterTestFunc:   xUntouched,
		},
		{
			Name: "a bad clock is 400 on it", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(0, "start_time", "25:00")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0.start_time":{"code":"validation_invalid_clock"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "a clock given as a number is 400 on it", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(2, "end_time", 2000)...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.2.end_time":{"code":"validation_invalid_clock"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "an end before the start is 400 and nothing is written", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(2, "end_time", "18:00")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.2.end_time":{"code":"validation_end_before_start"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "overlapping windows are 400 naming the later one", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(2, "start_time", "18:30")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.2.start_time":{"code":"validation_overlap","message":"Overlaps window 0 (Monday 16:00–19:00)."`},
			AfterTestFunc:   xUntouched,
		},
		{
			Name: "a bad date is 400 on it", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(0, "valid_from", "2026-13-40")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0.valid_from":{"code":"validation_invalid_date"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "valid_to before valid_from is 400 on valid_to", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(window(0, "valid_to", "2025-12-31")...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0.valid_to":{"code":"validation_valid_to_before_from"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "a window that is not an object is 400 on it", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: strings.NewReader(`{"windows":["mon 16-19"]}`), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows.0":{"code":"validation_invalid_type"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "missing windows is 400 on windows", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: strings.NewReader(`{}`), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows":{"code":"validation_required"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "windows that are not a list is 400 on windows", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: strings.NewReader(`{"windows":{"weekday":1}}`), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows":{"code":"validation_invalid_type"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "too many windows is 400 on windows", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(slices.Repeat([]map[string]any{week[0]}, 51)...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"windows":{"code":"validation_too_many"`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "a save failing midway rolls the whole replacement back", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiBody(windows(week...)), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`},
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				app.OnRecordCreate("availability").BindFunc(func(e *core.RecordEvent) error {
					if e.Record.GetString("start_time") == "19:00" { // the third window
						return errors.New("disk full")
					}
					return e.Next()
				})
			},
			AfterTestFunc: xUntouched,
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: strings.NewReader(`{"windows":[`), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`}, AfterTestFunc: xUntouched,
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPut, URL: url(f.TeacherX),
			Body: apiOversized("windows"), Headers: apiAs(f.TeacherXUser), ExpectedStatus: 413,
			ExpectedContent: []string{`"status":413`}, AfterTestFunc: xUntouched,
		},
	})
}
