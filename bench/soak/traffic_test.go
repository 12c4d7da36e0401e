package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// TestOutcomes pins what the soak counts as an error: only the wanted
// statuses are ok, a 409 is a conflict only where a race makes one
// expected, and "database is locked" anywhere in a body is an error.
func TestOutcomes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
		w.Write([]byte(r.URL.Query().Get("body")))
	}))
	defer srv.Close()

	cases := []struct {
		name     string
		code     int
		body     string
		conflict bool
		want     outcome
		locked   bool
	}{
		{"wanted status", 200, `{}`, false, ok, false},
		{"a 409 where a race is expected", 409, `{"conflicts":[{"reason":"teacher_busy"}]}`, true, conflict, false},
		{"a 409 where none is expected", 409, `{}`, false, failed, false},
		{"an unexpected 4xx", 400, `{"data":{"start":{"code":"validation_required"}}}`, true, failed, false},
		{"a 5xx", 503, `{}`, true, failed, false},
		{"locked in a 200", 200, `{"note":"Database is locked"}`, false, failed, true},
		{"locked in a 409", 409, `{"message":"database is locked"}`, true, failed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			tr := &traffic{base: srv.URL, rec: rec}
			tr.do(call{Endpoint: "e", Method: http.MethodGet, Path: "/?code=" + strconv.Itoa(c.code) + "&body=" + urlEscape(c.body),
				Want: []int{200}, Conflict: c.conflict}, nil)
			got := rec.all()
			if len(got) != 1 || got[0].Outcome != c.want || got[0].Locked != c.locked {
				t.Fatalf("got %+v, want outcome %d locked %v", got, c.want, c.locked)
			}
		})
	}

	t.Run("no answer", func(t *testing.T) {
		rec := &recorder{}
		tr := &traffic{base: "http://127.0.0.1:1", rec: rec}
		tr.do(call{Endpoint: "e", Method: http.MethodGet, Path: "/", Want: []int{200}}, nil)
		if got := rec.all(); len(got) != 1 || got[0].Outcome != failed {
			t.Fatalf("got %+v, want a failure", got)
		}
	})
}

func TestMemoryVerdictUsesTheBaselineMinute(t *testing.T) {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	r := &result{Started: start, Duration: 4 * time.Minute}
	for m, rss := range []int64{100_000, 400_000, 200_000, 214_000} { // KiB: warm-up, then the second half
		r.Probes = append(r.Probes, probe{At: start.Add(time.Duration(m)*time.Minute + 30*time.Second), RSS: rss, Pending: -1})
	}
	r.build()
	if r.BaselineMinute != 3 || r.FlatRatio < 1.069 || r.FlatRatio > 1.071 {
		t.Fatalf("baseline minute %d, ratio %.3f; want minute 3 (the second half's first) and 214/200", r.BaselineMinute, r.FlatRatio)
	}
	if r.SlopeMB <= 0 {
		t.Fatalf("slope %.2f MiB/min, want > 0", r.SlopeMB)
	}
}

func urlEscape(s string) string { return url.QueryEscape(s) }
