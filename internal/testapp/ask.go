package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"
)

// Ask sends s's request to mux, app's router built once, and checks the
// answer against s's expectations the way tests.ApiScenario does (its
// runner builds a router per scenario, which one app allows only once, see
// Handler). s's TestAppFactory, BeforeTestFunc and DisableTestAppCleanup
// are not used: the caller has app ready.
func Ask(t *testing.T, app *tests.TestApp, mux http.Handler, s tests.ApiScenario) {
	app.ResetEventCalls()
	req := httptest.NewRequest(s.Method, s.URL, s.Body)
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, strings.TrimSpace(v))
	}
	if s.Timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), s.Timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode != s.ExpectedStatus {
		t.Errorf("Expected status code %d, got %d", s.ExpectedStatus, res.StatusCode)
	}
	time.Sleep(s.Delay)

	if len(s.ExpectedContent) == 0 && len(s.NotExpectedContent) == 0 {
		if rec.Body.Len() != 0 {
			t.Errorf("Expected empty body, got \n%v", rec.Body.String())
		}
	} else {
		body := rec.Body.String()
		var compact bytes.Buffer
		if json.Compact(&compact, rec.Body.Bytes()) == nil {
			body = compact.String()
		}
		for _, want := range s.ExpectedContent {
			if !strings.Contains(body, want) {
				t.Errorf("Cannot find %v in response body \n%v", want, body)
				break
			}
		}
		for _, unwanted := range s.NotExpectedContent {
			if strings.Contains(body, unwanted) {
				t.Errorf("Didn't expect %v in response body \n%v", unwanted, body)
				break
			}
		}
	}

	others := maps.Clone(app.EventCalls)
	noOthers := false
	for event, want := range s.ExpectedEvents {
		if event == "*" && want <= 0 {
			noOthers = true
			continue
		}
		if got := others[event]; got != want {
			t.Errorf("Expected event %s to be called %d, got %d", event, want, got)
		}
		delete(others, event)
	}
	if noOthers && len(others) > 0 {
		t.Errorf("Missing expected remaining events:\n%#v\nAll triggered app events are:\n%#v", others, app.EventCalls)
	}

	if s.AfterTestFunc != nil {
		s.AfterTestFunc(t, app, res)
	}
}
