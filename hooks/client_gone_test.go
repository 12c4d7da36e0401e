package hooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"cedarheights/apispec"
	"cedarheights/hooks"
	"cedarheights/internal/testapp"
)

// TestClientGoneIsNoServerError: a request whose client left while its
// query ran (a page closed during GET /api/v1/public/pricing) is aborted:
// no 500 in our request log or PocketBase's, no violation for the
// description's checker; our log line says 499 with the cut error. A
// handler failing for a client still connected is still a 500, logged as
// an error by both logs and caught by the checker, even when its error is
// a cancelled context (RecordQuery's "collection not found").
func TestClientGoneIsNoServerError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		clientGone bool
		// fail, when set, replaces the pricing handler's own answer
		fail func(t *testing.T, e *core.RequestEvent) error
		// what the request log and the checker must say
		status     int
		level      int // slog's: 0 info, 8 error
		errText    string
		pbLine     bool
		violations int
	}{
		{name: "client gone while the query ran", clientGone: true,
			status: hooks.StatusClientClosedRequest, level: 0, errText: "context canceled"},
		{name: "handler fails, client connected",
			fail: func(t *testing.T, e *core.RequestEvent) error {
				return e.InternalServerError("", errors.New("disk on fire"))
			},
			status: 500, level: 8, pbLine: true, violations: 1},
		{name: "a carried cancelled context, client connected",
			fail: func(t *testing.T, e *core.RequestEvent) error {
				var records []*core.Record
				err := e.App.RecordQuery("no_such_collection").All(&records)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("RecordQuery no longer carries a cancelled context: %v", err)
				}
				return e.InternalServerError("", err)
			},
			status: 500, level: 8, pbLine: true, violations: 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			app, _ := testapp.NewUnchecked(t)
			app.Settings().Logs.MaxDays = 14 // as stored; PocketBase's TestApp turns logs off
			checker, err := apispec.NewChecker()
			if err != nil {
				t.Fatal(err)
			}
			entered := make(chan struct{})
			app.OnServe().BindFunc(func(se *core.ServeEvent) error {
				se.Router.Bind(checker.Middleware())
				// last before the handler, inside the query deadline's wrapper
				se.Router.Bind(&hook.Handler[*core.RequestEvent]{
					Priority: 1000,
					Func: func(e *core.RequestEvent) error {
						close(entered)
						if c.clientGone {
							<-e.Request.Context().Done() // net/http saw the connection close
						}
						if c.fail != nil {
							return c.fail(t, e)
						}
						return e.Next()
					},
				})
				return se.Next()
			})
			srv := testapp.Serve(t, app)

			id := fmt.Sprintf("client-gone-%d", i)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/public/pricing", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(hooks.RequestIDHeader, id)
			answered := make(chan *http.Response, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					answered <- nil
					return
				}
				res.Body.Close()
				answered <- res
			}()
			<-entered
			if c.clientGone {
				cancel()
			}
			res := <-answered
			if !c.clientGone && (res == nil || res.StatusCode != c.status) {
				t.Fatalf("answer %v, want %d", res, c.status)
			}
			srv.Close() // waits for the server's side of the request

			ours := waitForLog(t, app, "json_extract(data, '$.request_id') = {:id}", id)
			if got := ours.Data["status"]; got != float64(c.status) {
				t.Errorf("request log status %v, want %d (line %v)", got, c.status, ours.Data)
			}
			if ours.Level != c.level {
				t.Errorf("request log level %d, want %d", ours.Level, c.level)
			}
			if got, _ := ours.Data["error"].(string); !strings.Contains(got, c.errText) || (c.errText == "") != (got == "") {
				t.Errorf("request log error %q, want %q", got, c.errText)
			}
			if c.pbLine {
				pb := waitForLog(t, app, "json_extract(data, '$.meta.requestId') = {:id}", id)
				if pb.Data["status"] != float64(c.status) || pb.Level != c.level {
					t.Errorf("PocketBase's line: level %d %v", pb.Level, pb.Data)
				}
			} else {
				var pb []*core.Log
				if err := app.LogQuery().AndWhere(dbx.NewExp("json_extract(data, '$.meta.requestId') = {:id}", dbx.Params{"id": id})).All(&pb); err != nil {
					t.Fatal(err)
				}
				for _, l := range pb {
					t.Errorf("PocketBase logged an unanswered request: level %d %v", l.Level, l.Data)
				}
			}
			if got := checker.Violations(); len(got) != c.violations {
				t.Errorf("%d violations, want %d: %q", len(got), c.violations, got)
			}
		})
	}
}
