package hooks_test

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"cedarheights/internal/testapp"
)

// BenchmarkRunsList compares the CPU one request of the office's runs list
// takes with the built-in students list's (bench/load's baseline), in
// process, in alternating rounds so both meet the same machine:
//
//	CEDAR_BENCH_DATA=<copy of a loaded data dir> go test -run '^$' \
//	  -bench RunsList -benchtime 1x ./hooks/
//
// It reports CPU microseconds per request of each and builtin/runs (above
// 1: the runs list costs less). Process CPU (getrusage) moves far less
// with other jobs on the cores than wall time does.
func BenchmarkRunsList(b *testing.B) {
	app, admin, _, _, _ := benchApp(b)
	app.Settings().RateLimits.Enabled = false
	handler := testapp.Handler(b, app)
	paths := []string{
		"/api/collections/students/records?skipTotal=1&perPage=20",
		"/api/v1/workflows/runs?per_page=20&skip_total=1",
	}
	cpu := func() time.Duration {
		var r syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
			b.Fatal(err)
		}
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	const perRound, rounds, warm = 300, 12, 2
	var spent [2]time.Duration
	for b.Loop() {
		for round := range rounds {
			for i, path := range paths {
				start := cpu()
				for range perRound {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Header.Set("Authorization", admin)
					rec := httptest.NewRecorder()
					handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
					}
				}
				if round >= warm {
					spent[i] += cpu() - start
				}
			}
		}
	}
	n := float64(b.N * perRound * (rounds - warm))
	b.ReportMetric(float64(spent[0].Microseconds())/n, "builtin-cpu-µs/req")
	b.ReportMetric(float64(spent[1].Microseconds())/n, "runs-cpu-µs/req")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "builtin/runs")
}
