package hooks_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
)

// TestCheckConflictsQueries: a check-conflicts request, once the free-time
// cache is warm, reads the teacher from the cache and, for a caller who
// sees every lesson (the office), asks nothing about the conflicting
// lessons' ids it has just read; a parent's check still decides them. Each
// query a request runs costs the route its parse and SQLite's shared locks:
// over HTTP it stopped short of the CPU it uses (issue 14).
func TestCheckConflictsQueries(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv, err := testapp.Listen(app)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var mu sync.Mutex
	var queries []string
	db := app.ConcurrentDB().(*dbx.DB)
	db.QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
	}
	defer func() { db.QueryLogFunc = nil }()

	check := func(token, body string) []string {
		t.Helper()
		send := func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/lessons/check-conflicts", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
		}
		send() // warms the cache
		mu.Lock()
		queries = nil
		mu.Unlock()
		send()
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), queries...)
	}

	// A clash with A1 (teacher X, Monday 16:00).
	admin := check(f.Admin.Token, lessonJSON(f, f.StudentA2, 0, 30, ""))
	for _, q := range admin {
		if strings.Contains(q, "FROM `teachers`") {
			t.Errorf("the office's check read the teacher again: %s", q)
		}
		if strings.Contains(q, "DISTINCT `lessons`.`id`") {
			t.Errorf("the office's check asked which conflicting lessons it may see: %s", q)
		}
	}
	parent := check(f.ParentA.Token, lessonJSON(f, f.StudentA2, 0, 30, ""))
	var decided bool
	for _, q := range parent {
		decided = decided || strings.Contains(q, "DISTINCT `lessons`.`id`")
	}
	if !decided {
		t.Errorf("a parent's check did not decide which conflicting lessons it may see: %q", parent)
	}
}
