package freetime_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/freetime"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// TestWarmUpTakesTheDefaultPublicShapeFirst: the warm-up derives the public
// timeslots' default shape (30 minutes on the 30-minute grid) over its
// whole horizon, nearest week first, then keeps the plan's answers, and
// only then the other lengths and check-conflicts' grid. Before, it took
// every public length week by week, so a visitor's month waited for all
// three lengths of its first weeks.
func TestWarmUpTakesTheDefaultPublicShapeFirst(t *testing.T) {
	app, _ := testapp.New(t, wiring.WithoutEngine())
	var jobs []string
	defer freetime.OnWarmJob(func(week, minutes int, step time.Duration, answer bool) {
		if answer {
			jobs = append(jobs, "answer")
			return
		}
		jobs = append(jobs, fmt.Sprintf("week %d %d/%s", week, minutes, step))
	})()
	answered := 0
	plan := freetime.WarmPlan{Weeks: 2, PublicWeeks: 2, Workers: 1,
		Answers: []func(core.App) error{func(core.App) error { answered++; return nil }}}
	if _, err := freetime.For(app).Warm(context.Background(), app, plan); err != nil {
		t.Fatal(err)
	}
	// The seed's public teachers teach 30 and 45, and 30 and 60 minutes:
	// one batch per shape and week.
	want := []string{"week 0 30/30m0s", "week 1 30/30m0s", "answer"}
	if len(jobs) < len(want)+2 || fmt.Sprint(jobs[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("jobs %v, want them to begin with %v", jobs, want)
	}
	for _, j := range jobs[len(want):] {
		if j == "answer" || j[len(j)-len("30/30m0s"):] == "30/30m0s" {
			t.Fatalf("jobs %v: %q after the default shape and the answers", jobs, j)
		}
	}
	if answered != 1 {
		t.Fatalf("the answer ran %d times", answered)
	}
}

// TestWarmUpSeesEveryRequest: the warm-up yields to every route's
// requests, not only to those that read free time. Before, it saw a
// request only when one took a free-time snapshot, and ran at full speed
// beside the students' and teachers' lists.
func TestWarmUpSeesEveryRequest(t *testing.T) {
	app, _ := testapp.New(t, wiring.WithoutEngine())
	cache := freetime.For(app)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET("/test/serving", func(e *core.RequestEvent) error {
			return e.String(http.StatusOK, fmt.Sprint(cache.Serving()))
		})
		return e.Next()
	})
	srv := testapp.Serve(t, app)
	res, err := http.Get(srv.URL + "/test/serving")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if string(body) != "1" {
		t.Fatalf("the warm-up sees %s requests being served during one, want 1", body)
	}
	if n := cache.Serving(); n != 0 {
		t.Fatalf("after the request the warm-up sees %d being served", n)
	}
}
