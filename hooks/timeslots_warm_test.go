package hooks_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/academy"
	"cedarheights/hooks/publicapi"
	"cedarheights/internal/testapp"
)

// TestWarmedTimeslotsAnswerTheBookingPage: after publicapi.WarmTimeslots
// (the server's warm-up), the booking page's first search for an
// instrument — the week from today, no length named — is answered from
// memory, and so is the same search naming the default length and grid;
// both answer what a signed-in caller's fresh derivation answers. Before,
// the first visitor derived it, and a search naming minutes=30 was kept
// apart from one that did not.
func TestWarmedTimeslotsAnswerTheBookingPage(t *testing.T) {
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := publicapi.WarmTimeslots(app); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		queries []string
	)
	app.ConcurrentDB().(*dbx.DB).QueryLogFunc = func(_ context.Context, _ time.Duration, q string, _ *sql.Rows, _ error) {
		mu.Lock()
		defer mu.Unlock()
		queries = append(queries, q)
	}
	// get answers path's body, and whether the request read the teachers
	// (derived the answer).
	get := func(path, token string) ([]byte, bool) {
		t.Helper()
		mu.Lock()
		queries = nil
		mu.Unlock()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		mu.Lock()
		defer mu.Unlock()
		read := false
		for _, q := range queries {
			read = read || strings.Contains(q, "FROM `teachers`")
		}
		return body, read
	}
	today := time.Now().In(settings.Zone)
	page := "/api/v1/public/timeslots?instrument=" + f.Piano + "&from=" + today.Format(time.DateOnly) + "&to=" + today.AddDate(0, 0, 6).Format(time.DateOnly)
	fresh, _ := get(page, f.Admin.Token)
	if !strings.Contains(string(fresh), `"local_start"`) {
		t.Fatalf("no free slot in the week: the comparison shows nothing: %s", fresh)
	}
	for _, path := range []string{page, page + "&minutes=30&step=30", page + "&step=30"} {
		kept, derived := get(path, "")
		if derived {
			t.Errorf("%s: derived after the warm-up", path)
		}
		if !bytes.Equal(kept, fresh) {
			t.Errorf("%s: kept %s, derived afresh %s", path, kept, fresh)
		}
	}
}
