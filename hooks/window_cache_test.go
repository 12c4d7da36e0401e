package hooks_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
)

// The teachers' windows (?availability=1) are encoded once and served from
// memory until a window changes (hooks/peopleapi/window_cache.go), and for
// callers who see every teacher and window the whole page is kept until a
// table the free-time counter watches changes (teachers_kept.go): a second
// page reads neither table, a lesson's write lists the teachers again but
// not their windows, the answer is the one the query under the rule gives
// (a request that expands takes that path), and a write of a window — by
// the route, or by raw SQL past every hook — shows at once.
func TestTeacherWindowsEncodedOnce(t *testing.T) {
	t.Parallel()
	t.Run("kept", func(t *testing.T) { t.Parallel(); windowsKept(t, "") })
	// Without its triggers a counter would not move: nothing is kept under it.
	t.Run("windows' trigger missing", func(t *testing.T) { t.Parallel(); windowsKept(t, "availability_version_update") })
	t.Run("free-time trigger missing", func(t *testing.T) { t.Parallel(); windowsKept(t, "free_time_availability_update") })
}

func windowsKept(t *testing.T, dropTrigger string) {
	app, f := testapp.New(t)
	if dropTrigger != "" {
		if _, err := app.DB().NewQuery("DROP TRIGGER " + dropTrigger).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	windowsKept := dropTrigger != "availability_version_update"
	pageKept := dropTrigger != "free_time_availability_update"
	srv := testapp.Serve(t, app)
	var (
		mu      sync.Mutex
		queries []string
	)
	app.ConcurrentDB().(*dbx.DB).QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
		mu.Lock()
		defer mu.Unlock()
		queries = append(queries, q)
	}
	// windows gets url as the admin and answers each teacher's windows as
	// JSON, and whether the request read the availability table (and the
	// teachers table, in listed).
	var (
		listed   bool
		lastBody string
	)
	windows := func(url string) (map[string]string, bool) {
		t.Helper()
		mu.Lock()
		queries = nil
		mu.Unlock()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+url, nil)
		req.Header.Set("Authorization", f.Admin.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		lastBody = string(body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", url, res.StatusCode, body)
		}
		var page struct {
			Items []struct {
				ID     string `json:"id"`
				Expand struct {
					Windows json.RawMessage `json:"availability_via_teacher"`
				} `json:"expand"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(body), `"expand":`); n != len(page.Items) {
			t.Errorf("%s: %d expand keys for %d teachers: %s", url, n, len(page.Items), body)
		}
		out := map[string]string{}
		for _, it := range page.Items {
			out[it.ID] = string(it.Expand.Windows)
		}
		mu.Lock()
		defer mu.Unlock()
		read := false
		listed = false
		for _, q := range queries {
			read = read || strings.Contains(q, "FROM `availability`")
			listed = listed || strings.Contains(q, "FROM `teachers`")
		}
		return out, read
	}
	const url = "/api/v1/teachers?availability=1"
	first, _ := windows(url)
	if !strings.Contains(first[f.TeacherX], f.AvailabilityX) || first[f.TeacherHidden] != "[]" {
		t.Fatalf("windows %v", first)
	}
	again, read := windows(url)
	if listed != !pageKept || read != !(pageKept || windowsKept) {
		t.Errorf("the second page listed the teachers again: %v, read the windows again: %v; want %v, %v", listed, read, !pageKept, !(pageKept || windowsKept))
	}
	// A lesson's write moves the free-time counter, not the windows'.
	if _, err := app.DB().NewQuery("UPDATE lessons SET teacher_notes = 'moved' WHERE id = {:id}").Bind(dbx.Params{"id": f.LessonA1}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, read := windows(url); !listed || read != !windowsKept {
		t.Errorf("after a lesson's write the page listed the teachers again: %v, read the windows again: %v; want true, %v", listed, read, !windowsKept)
	}
	uncached, read := windows(url + "&expand=user")
	if !read {
		t.Error("a request that expands did not take the query under the rule")
	}
	for id, w := range first {
		if again[id] != w || uncached[id] != w {
			t.Errorf("teacher %s: windows %s, then %s, under the rule %s", id, w, again[id], uncached[id])
		}
	}

	if _, err := app.DB().NewQuery("UPDATE availability SET end_time = '20:45' WHERE id = {:id}").Bind(dbx.Params{"id": f.AvailabilityX}).Execute(); err != nil {
		t.Fatal(err)
	}
	if after, read := windows(url); !read || !strings.Contains(after[f.TeacherX], `"end_time":"20:45"`) {
		t.Errorf("after a raw write the windows are %s (read again: %v)", after[f.TeacherX], read)
	}

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/v1/teachers/"+f.TeacherY+"/availability",
		strings.NewReader(`{"windows":[{"weekday":2,"start_time":"07:00","end_time":"08:00"}]}`))
	req.Header.Set("Authorization", f.Admin.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("replace Y's windows: %d", res.StatusCode)
	}
	if after, _ := windows(url); !strings.Contains(after[f.TeacherY], `"start_time":"07:00"`) || strings.Contains(after[f.TeacherY], f.AvailabilityY) {
		t.Errorf("after the route replaced Y's windows they are %s", after[f.TeacherY])
	}
	// A teacher's row written past every hook shows at once too.
	if _, err := app.DB().NewQuery("UPDATE teachers SET display_name = 'Xavier Renamed' WHERE id = {:id}").Bind(dbx.Params{"id": f.TeacherX}).Execute(); err != nil {
		t.Fatal(err)
	}
	if windows(url); !listed || !strings.Contains(lastBody, `"display_name":"Xavier Renamed"`) {
		t.Errorf("after a raw write of X's name the page (listed again: %v) is %s", listed, lastBody)
	}
}
