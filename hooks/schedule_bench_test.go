package hooks_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// BenchmarkScheduleRoutes drives check-conflicts, one teacher's week view
// and PocketBase's own students list (bench/load's baseline) through the
// router of an app wired as main wires it, in process, so a CPU profile
// shows where each request goes:
//
//	CEDAR_BENCH_DATA=<data dir of `demo --size bench`> go test -run '^$' \
//	  -bench ScheduleRoutes -cpuprofile cpu.out ./hooks/
//
// The data dir is opened as it is (copy it first: migrations run on it).
// Without CEDAR_BENCH_DATA the fixture academy is used, which is too small
// to say anything about the costs.
func BenchmarkScheduleRoutes(b *testing.B) {
	app, admin, teachers, students, instrumentLessonStart := benchApp(b)
	app.Settings().RateLimits.Enabled = false // as bench/load runs the server
	srv, err := testapp.Listen(app)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	handler := srv.Config.Handler

	rng := rand.New(rand.NewPCG(1, 2))
	var checks []string
	for range 200 {
		checks = append(checks, fmt.Sprintf(`{"teacher":%q,"student":%q,"start":%q,"minutes":30,"limit":5}`,
			teachers[rng.IntN(len(teachers))], students[rng.IntN(len(students))],
			instrumentLessonStart.AddDate(0, 0, 7*rng.IntN(8)).Add(time.Duration(rng.IntN(8))*30*time.Minute).Format(time.RFC3339)))
	}
	week := "/api/v1/lessons/schedule/view?view=week&teacher=" + teachers[0] + "&date=" + time.Now().UTC().AddDate(0, 0, 7).Format(time.DateOnly)

	serve := func(b *testing.B, method, path, body string) {
		var req *http.Request
		if body != "" {
			req = httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, path, nil)
		}
		req.Header.Set("Authorization", admin)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
	}
	b.Run("builtin-list", func(b *testing.B) {
		for b.Loop() {
			serve(b, http.MethodGet, "/api/collections/students/records?skipTotal=1&perPage=20", "")
		}
	})
	b.Run("check-conflicts", func(b *testing.B) {
		// A server that has been up has its free time derived: the
		// steady state is what is measured.
		for _, body := range checks {
			serve(b, http.MethodPost, "/api/v1/lessons/check-conflicts", body)
		}
		i := 0
		for b.Loop() {
			serve(b, http.MethodPost, "/api/v1/lessons/check-conflicts", checks[i%len(checks)])
			i++
		}
	})
	// In parallel, as a server takes them: shows contention (locks, the
	// connection pool) that one request at a time never meets.
	b.Run("check-conflicts-parallel", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serve(b, http.MethodPost, "/api/v1/lessons/check-conflicts", checks[int(n.Add(1))%len(checks)])
			}
		})
	})
	b.Run("builtin-list-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serve(b, http.MethodGet, "/api/collections/students/records?skipTotal=1&perPage=20", "")
			}
		})
	})
	b.Run("week-view", func(b *testing.B) {
		for b.Loop() {
			serve(b, http.MethodGet, week, "")
		}
	})
}

// benchApp opens CEDAR_BENCH_DATA (else the fixture academy) wired as
// main wires it, less the workflow engine (nothing here starts a run),
// and answers the admin's token and the ids the requests use, picked as
// bench/load picks them.
func benchApp(b *testing.B) (core.App, string, []string, []string, time.Time) {
	var app core.App
	if dir := os.Getenv("CEDAR_BENCH_DATA"); dir != "" {
		base := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
		if err := base.Bootstrap(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { base.ResetBootstrapState() })
		if err := base.RunAllMigrations(); err != nil {
			b.Fatal(err)
		}
		if err := wiring.Register(base, wiring.WithoutEngine()); err != nil {
			b.Fatal(err)
		}
		app = base
	} else {
		app, _ = testapp.New(b, wiring.WithoutEngine())
	}
	var adminUser *core.Record
	admins, err := app.FindRecordsByFilter("users", "role = 'admin'", "created", 1, 0)
	if err != nil || len(admins) == 0 {
		b.Fatalf("no admin user (%v)", err)
	}
	adminUser = admins[0]
	token, err := adminUser.NewAuthToken()
	if err != nil {
		b.Fatal(err)
	}
	var teachers, students []string
	if err := app.DB().Select("id").From("teachers").Where(dbx.NewExp("public = true AND active = true")).Column(&teachers); err != nil || len(teachers) == 0 {
		b.Fatalf("no public teachers (%v)", err)
	}
	if err := app.DB().Select("id").From("students").Where(dbx.NewExp("deleted = ''")).Limit(200).Column(&students); err != nil || len(students) == 0 {
		b.Fatalf("no students (%v)", err)
	}
	d := time.Now().UTC().AddDate(0, 0, 14)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return app, token, teachers, students, time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, time.UTC)
}
