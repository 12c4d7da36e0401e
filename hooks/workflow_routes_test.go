package hooks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// The workflow routes' fixtures: runs of a small test workflow seeded with
// fixed ids, one per family, in the states the scenarios need.
const (
	runParentA   = "wfrunparenta001" // completed, owned by parent A
	runParentB   = "wfrunparentb001" // completed, owned by parent B
	runWaitingA  = "wfrunwaitinga01" // waiting for an event, owned by parent A
	runFailedA   = "wfrunfaileda001" // failed at node b, owned by parent A
	stepOfParent = "wfstepparenta01"
)

type routeState struct {
	Fail bool   `json:"fail"`
	Paid string `json:"paid,omitempty"`
}

type routeInput struct {
	Amount int `json:"amount"`
}

func (in routeInput) Validate() error {
	if in.Amount < 1 {
		return errAmount
	}
	return nil
}

var errAmount = validation.Errors{"amount": validation.NewError("validation_invalid_amount", "Must be at least 1.")}

var routeFlow = workflows.Define("route_test", 1, func(in routeInput) routeState { return routeState{} },
	workflows.Task("a", func(*workflows.Step[routeState]) error { return nil }).Then("b"),
	workflows.Task("b", func(s *workflows.Step[routeState]) error {
		if s.State.Fail {
			return workflows.Permanentf("b failed")
		}
		return nil
	}).Then("paid"),
	workflows.Wait("paid", func(*routeState) string { return "route_test:paid" }, time.Hour).
		OnEvent(func(s *routeState, ev workflows.Event) error { s.Paid = string(ev.Payload); return nil }).
		Then("done").OnTimeout("done"),
	workflows.Task("done", func(*workflows.Step[routeState]) error { return nil }),
)

// workflowApp is a fixture app whose engine (started by the scenario's
// serve event) also knows routeFlow, with the seeded runs.
func workflowApp(t testing.TB) *tests.TestApp {
	app := testapp.FactoryWith(wiring.WithWorkflows(routeFlow), wiring.WithEngineOptions(workflows.Options{
		Workers: 2, PollInterval: 20 * time.Millisecond,
		ShutdownGrace: 200 * time.Millisecond, NoSchedules: true, NoMail: true,
	}))(t)
	f := testapp.Get(t)
	later := time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05.000Z")
	seed := []dbx.Params{
		{"id": runParentA, "owner": f.ParentA.ID, "status": "completed", "ready": "[]", "done": `["a","b","paid","done"]`, "result": `{"ok":true}`},
		{"id": runParentB, "owner": f.ParentB.ID, "status": "completed", "ready": "[]", "done": `["a","b","paid","done"]`, "result": `{"ok":true}`},
		{"id": runWaitingA, "owner": f.ParentA.ID, "status": "waiting", "ready": `["paid"]`, "done": `["a","b"]`,
			"wake_at": later, "wait_key": "route_test:paid", "wait_deadline": later,
			"progress": `{"wait":{"node":"paid","key":"route_test:paid","deadline":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}}`},
		{"id": runFailedA, "owner": f.ParentA.ID, "status": "failed", "ready": "[]", "done": `["a"]`, "error": "node b: b failed",
			"progress": `{"failed":"b","outcome":"failed","stopped":["b"]}`},
	}
	for _, row := range seed {
		row["name"], row["version"], row["subject"] = "route_test", 1, "tests:"+row["id"].(string)
		row["input"], row["state"] = `{"amount":1}`, `{"fail":false}`
		row["created"] = time.Now().UTC().Format("2006-01-02 15:04:05.000Z")
		if _, err := app.NonconcurrentDB().Insert("workflow_runs", row).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := app.NonconcurrentDB().Insert("workflow_steps", dbx.Params{
		"id": stepOfParent, "run": runParentA, "node": "a", "attempt": 1, "status": "completed", "output": `{"secret":1}`,
		"duration_ms": 1.5, "created": time.Now().UTC().Format("2006-01-02 15:04:05.000Z"),
	}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func workflowRun(t *testing.T, scenarios []tests.ApiScenario) {
	t.Helper()
	apiParallelOn(t, workflowApp, scenarios)
}

func TestWorkflowRunView(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/workflows/runs/"
	workflowRun(t, []tests.ApiScenario{
		{Name: "anonymous is 401", Method: http.MethodGet, URL: url + runParentA, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{
			Name: "a parent sees its own run with its steps, without state or step output", Method: http.MethodGet, URL: url + runParentA,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200,
			ExpectedContent:    []string{`"id":"` + runParentA + `"`, `"status":"completed"`, `"steps":[{`, `"id":"` + stepOfParent + `"`, `"duration_ms":1.5`, `"result":{"ok":true}`},
			NotExpectedContent: []string{`"state"`, `"input"`, `"secret"`},
		},
		{Name: "a parent gets 404 for another family's run", Method: http.MethodGet, URL: url + runParentB, Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "a teacher gets 404", Method: http.MethodGet, URL: url + runParentA, Headers: apiAs(f.TeacherXUser), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "an unknown id is 404", Method: http.MethodGet, URL: url + "nosuchrun000000", Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{
			Name: "an admin sees any run", Method: http.MethodGet, URL: url + runParentB, Headers: apiAs(f.Admin), ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + runParentB + `"`, `"steps":[]`},
		},
		{
			Name: "a superuser also sees state and step output", Method: http.MethodGet, URL: url + runParentA, Headers: apiAs(f.Superuser), ExpectedStatus: 200,
			ExpectedContent: []string{`"state":{"fail":false}`, `"secret":1`},
		},
	})
}

func TestWorkflowRunList(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/workflows/runs"
	workflowRun(t, []tests.ApiScenario{
		{Name: "anonymous is 401", Method: http.MethodGet, URL: url, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{
			Name: "an admin lists every run", Method: http.MethodGet, URL: url, Headers: apiAs(f.Admin), ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":4`}, AfterTestFunc: apiExpectIDs(runParentA, runParentB, runWaitingA, runFailedA),
		},
		{
			Name: "a parent lists its own runs only", Method: http.MethodGet, URL: url, Headers: apiAs(f.ParentB), ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":1`}, AfterTestFunc: apiExpectIDs(runParentB),
		},
		{
			// The list reads no hidden column for them (access.go); a
			// superuser's still reads and gets every one.
			Name: "an admin's list leaves state and input out", Method: http.MethodGet, URL: url + "?status=completed&owner=" + f.ParentA.ID, Headers: apiAs(f.Admin),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + runParentA + `"`, `"status":"completed"`}, NotExpectedContent: []string{`"state"`, `"input"`},
		},
		{
			Name: "a superuser's list has state and input", Method: http.MethodGet, URL: url + "?status=completed&owner=" + f.ParentA.ID, Headers: apiAs(f.Superuser),
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + runParentA + `"`, `"state":{"fail":false}`, `"input":{"amount":1}`},
		},
		{
			Name: "filters narrow the list", Method: http.MethodGet, URL: url + "?status=waiting&name=route_test&owner=" + f.ParentA.ID, Headers: apiAs(f.Admin),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}, AfterTestFunc: apiExpectIDs(runWaitingA),
		},
		{
			Name: "a parent's owner filter cannot widen its view", Method: http.MethodGet, URL: url + "?owner=" + f.ParentA.ID, Headers: apiAs(f.ParentB),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name: "bad filters are 400 naming them", Method: http.MethodGet, URL: url + "?status=asleep&name=Bad%20Name&per_page=0&sort=name", Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code"`, `"name":{"code"`, `"per_page":{"code"`, `"sort":{"code"`},
		},
	})
}

func TestWorkflowRunControl(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/workflows/runs/"
	status := func(id string, want workflows.Status) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			t.Helper()
			r, err := workflows.Get(app, id)
			if err != nil || r.Status != want {
				t.Fatalf("run %s: %v %v, want %s", id, r.Status, err, want)
			}
		}
	}
	workflowRun(t, []tests.ApiScenario{
		{
			Name: "an admin cancels a waiting run", Method: http.MethodPost, URL: url + runWaitingA + "/cancel", Body: apiBody(map[string]any{"reason": "family withdrew"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"status":"cancelled"`, `"error":"cancelled: family withdrew"`},
			AfterTestFunc: status(runWaitingA, workflows.StatusCancelled),
		},
		{
			Name: "the run's own family may not cancel it (403)", Method: http.MethodPost, URL: url + runWaitingA + "/cancel",
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: status(runWaitingA, workflows.StatusWaiting),
		},
		{
			Name: "another family gets 404", Method: http.MethodPost, URL: url + runWaitingA + "/cancel",
			Headers: apiAs(f.ParentB), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "anonymous is 401", Method: http.MethodPost, URL: url + runWaitingA + "/cancel", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`},
		},
		{
			Name: "cancelling a completed run is 400", Method: http.MethodPost, URL: url + runParentA + "/cancel",
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_run_status"`},
		},
		{
			Name: "a reason that is not a string is 400", Method: http.MethodPost, URL: url + runWaitingA + "/cancel", Body: strings.NewReader(`{"reason":5}`),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"reason":{"code":"validation_invalid_type"`},
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url + runWaitingA + "/cancel", Body: strings.NewReader(`{"reason":`),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`},
		},
		{
			Name: "retry from an unknown node is 400", Method: http.MethodPost, URL: url + runFailedA + "/retry", Body: apiBody(map[string]any{"from": "zzz"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`has no node`},
			AfterTestFunc: status(runFailedA, workflows.StatusFailed),
		},
		{
			Name: "an admin retries a failed run, which then runs to its wait", Method: http.MethodPost, URL: url + runFailedA + "/retry",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + runFailedA + `"`, `"error":""`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				deadline := time.Now().Add(5 * time.Second)
				for time.Now().Before(deadline) {
					if r, _ := workflows.Get(app, runFailedA); r.Status == workflows.StatusWaiting {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				t.Fatal("the retried run did not reach its wait")
			},
		},
		{
			Name: "a parent may not retry its own run (403)", Method: http.MethodPost, URL: url + runFailedA + "/retry",
			Headers: apiAs(f.ParentA), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		},
		{
			// The test engine runs b as soon as the resume commits, so the
			// answer may show b ready or already done: both mean resumed.
			Name: "an admin resumes a failed run from where it stopped", Method: http.MethodPost, URL: url + runFailedA + "/resume",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + runFailedA + `"`, `"error":""`},
			NotExpectedContent: []string{`"status":"failed"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := workflows.Get(app, runFailedA)
				if err != nil || r.Status == workflows.StatusFailed || !(slices.Contains(r.Ready, "b") || slices.Contains(r.Done, "b")) {
					t.Fatalf("run %s after resume: %v ready %v done %v (%v); want b ready or done", runFailedA, r.Status, r.Ready, r.Done, err)
				}
			},
		},
		{
			Name: "resuming a completed run is 400", Method: http.MethodPost, URL: url + runParentA + "/resume",
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_run_status"`},
		},
		{
			Name: "the record API refuses an admin's direct update (403)", Method: http.MethodPatch,
			URL: "/api/collections/workflow_runs/records/" + runWaitingA, Body: apiBody(map[string]any{"status": "completed"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 403, ExpectedContent: []string{`/retry`},
			AfterTestFunc: status(runWaitingA, workflows.StatusWaiting),
		},
		{
			Name: "the record API creates no run for an admin", Method: http.MethodPost,
			URL: "/api/collections/workflow_runs/records", Body: apiBody(map[string]any{"name": "x", "status": "pending"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		},
	})
}

func TestWorkflowStartAndEvents(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/workflows/runs"
	workflowRun(t, []tests.ApiScenario{
		{
			Name: "a superuser starts a run; it reaches its wait within the bound, so 202", Method: http.MethodPost, URL: url + "?wait=300",
			Body:    apiBody(map[string]any{"workflow": "route_test", "input": map[string]any{"amount": 3}, "idempotency_key": "k1", "subject": "tests:1"}),
			Headers: apiAs(f.Superuser), ExpectedStatus: 202, ExpectedContent: []string{`"workflow":"route_test"`, `"status":"waiting"`, `"existing":false`},
		},
		{
			Name: "an admin may not start arbitrary runs (403)", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"workflow": "route_test", "input": map[string]any{"amount": 3}}), Headers: apiAs(f.Admin),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("workflow_runs"); n != 4 {
					t.Fatalf("%d runs", n)
				}
			},
		},
		{
			Name: "missing workflow and an input that is not an object are 400", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"input": "x"}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 400, ExpectedContent: []string{`"workflow":{"code":"validation_required"`, `"input":{"code":"validation_invalid_type"`},
		},
		{
			Name: "an unknown workflow is 400", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"workflow": "nope"}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 400, ExpectedContent: []string{`"workflow":{"code":"validation_unknown_workflow"`},
		},
		{
			Name: "invalid input is 400 naming the input's field, and makes no run", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"workflow": "route_test", "input": map[string]any{"amount": "lots"}}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 400, ExpectedContent: []string{`"input":{"amount":{"code":"validation_invalid_type"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("workflow_runs"); n != 4 {
					t.Fatalf("%d runs", n)
				}
			},
		},
		{
			Name: "input failing its validation is 400 naming the field", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"workflow": "route_test", "input": map[string]any{"amount": 0}}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 400, ExpectedContent: []string{`"input":{"amount":{"code":"validation_invalid_amount"`},
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url,
			Body: strings.NewReader(`{"workflow":"route_test","subject":"` + strings.Repeat("x", 70<<10) + `"}`), Headers: apiAs(f.Superuser),
			ExpectedStatus: 413, ExpectedContent: []string{`"status":413`},
		},
		{
			Name: "an event wakes the waiting run", Method: http.MethodPost, URL: "/api/v1/workflows/events",
			Body: apiBody(map[string]any{"key": "route_test:paid", "event_id": "evt_1", "payload": map[string]any{"amount": 1}}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 202, ExpectedContent: []string{`"duplicate":false`, `"woken":["` + runWaitingA + `"]`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				r, err := workflows.Await(ctx, app, runWaitingA)
				if err != nil || r.Status != workflows.StatusCompleted || !strings.Contains(string(r.State), `amount`) {
					t.Fatalf("after the event: %v %s %v", r.Status, r.State, err)
				}
			},
		},
		{
			Name: "events need a key", Method: http.MethodPost, URL: "/api/v1/workflows/events",
			Body: apiBody(map[string]any{"payload": 1}), Headers: apiAs(f.Superuser),
			ExpectedStatus: 400, ExpectedContent: []string{`"key":{"code":"validation_required"`},
		},
		{
			Name: "an admin may not inject events (403)", Method: http.MethodPost, URL: "/api/v1/workflows/events",
			Body: apiBody(map[string]any{"key": "route_test:paid"}), Headers: apiAs(f.Admin),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		},
	})
}

func TestTrialConfirmationRoute(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/workflows/trial-confirmations"
	book := func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
		collection, _ := app.FindCollectionByNameOrId("lessons")
		l := core.NewRecord(collection)
		start := testapp.NextMonday().Add(90 * time.Minute)
		l.Load(map[string]any{"teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "start": start,
			"end": start.Add(30 * time.Minute), "kind": "trial", "status": "scheduled", "id": "trialwfroute001"})
		if err := app.Save(l); err != nil {
			t.Fatal(err)
		}
	}
	workflowRun(t, []tests.ApiScenario{
		{
			Name: "an admin confirms a trial lesson: 200 with the result", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": "trialwfroute001"}), Headers: apiAs(f.Admin), BeforeTestFunc: book,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"completed"`, `"confirmed":true`, `trial-confirmation:trialwfroute001:family`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				n, _ := app.CountRecords("email_outbox", dbx.NewExp("idempotency_key LIKE 'trial-confirmation:trialwfroute001:%'"))
				if n != 2 {
					t.Fatalf("%d mails queued", n)
				}
				if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/api/v1/workflows/runs/") {
					t.Fatalf("Location %q", loc)
				}
			},
		},
		{
			Name: "the lesson's teacher may ask; without waiting the answer is 202 with the run id", Method: http.MethodPost, URL: url + "?wait=0",
			Body: apiBody(map[string]any{"lesson": "trialwfroute001"}), Headers: apiAs(f.TeacherXUser),
			// Booking starts the confirmation (the production trigger); the
			// engine is stopped first so that run is still pending when the
			// route is asked, and the answer is the 202, not the result.
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				workflows.EngineOf(app).Stop()
				book(t, app, e)
			},
			ExpectedStatus: 202, ExpectedContent: []string{`"id":"`, `"workflow":"trial_confirmation"`},
		},
		{
			Name: "a parent may not (403)", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": "trialwfroute001"}), Headers: apiAs(f.ParentA), BeforeTestFunc: book,
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		},
		{
			Name: "another teacher gets 404", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": "trialwfroute001"}), Headers: apiAs(f.TeacherYUser), BeforeTestFunc: book,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a regular lesson is 400", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": f.LessonA1}), Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: []string{`"lesson":{"code":"validation_not_trial"`},
		},
		{
			Name: "a missing, malformed or unknown lesson is 400 or 404", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{}), Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: []string{`"lesson":{"code":"validation_required"`},
		},
		{
			Name: "a lesson that is not a string is 400", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": 7}), Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: []string{`"lesson":{"code":"validation_invalid_type"`},
		},
		{
			Name: "an unknown lesson is 404", Method: http.MethodPost, URL: url,
			Body: apiBody(map[string]any{"lesson": "nosuchlesson000"}), Headers: apiAs(f.Admin),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a bad wait is 400", Method: http.MethodPost, URL: url + "?wait=forever",
			Body: apiBody(map[string]any{"lesson": f.LessonA1}), Headers: apiAs(f.Admin),
			ExpectedStatus: 400, ExpectedContent: []string{`"wait":{"code"`},
		},
	})
}

// TestWorkflowRunRealtime: a family follows its run over PocketBase's
// realtime API (the engine announces every checkpoint); another family
// subscribed to the same run hears nothing.
func TestWorkflowRunRealtime(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	app := workflowApp(t)
	t.Cleanup(app.Cleanup)
	srv := testapp.Serve(t, app)

	own := subscribeRealtime(t, srv.URL, f.ParentA.Token, "workflow_runs/"+runWaitingA)
	other := subscribeRealtime(t, srv.URL, f.ParentB.Token, "workflow_runs/"+runWaitingA)
	if _, err := workflows.Signal(app, "route_test:paid", map[string]int{"amount": 1}); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	deadline := time.After(5 * time.Second)
	for len(statuses) == 0 || statuses[len(statuses)-1] != "completed" {
		select {
		case data := <-own:
			var msg struct {
				Action string         `json:"action"`
				Record map[string]any `json:"record"`
			}
			if err := json.Unmarshal([]byte(data), &msg); err != nil {
				t.Fatal(err)
			}
			if _, leaked := msg.Record["state"]; leaked {
				t.Fatalf("realtime sent the hidden state: %s", data)
			}
			statuses = append(statuses, msg.Record["status"].(string))
		case <-deadline:
			t.Fatalf("the family saw %v, never completed", statuses)
		}
	}
	t.Logf("the family saw %v", statuses)
	select {
	case data := <-other:
		t.Fatalf("another family received %s", data)
	case <-time.After(200 * time.Millisecond):
	}
}

// subscribeRealtime connects to /api/realtime, subscribes to topic as the
// token's user and returns the data of the topic's messages.
func subscribeRealtime(t *testing.T, base, token, topic string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan [2]string, 16)
	go func() {
		defer res.Body.Close()
		defer close(events)
		scanner := bufio.NewScanner(res.Body)
		scanner.Buffer(make([]byte, 1<<16), 1<<20)
		var name, data string
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimPrefix(line, "event:")
			case strings.HasPrefix(line, "data:"):
				data = strings.TrimPrefix(line, "data:")
			case line == "":
				if name != "" {
					events <- [2]string{name, data}
				}
				name, data = "", ""
			}
		}
	}()
	var clientID string
	select {
	case ev := <-events:
		var connect struct {
			ClientID string `json:"clientId"`
		}
		json.Unmarshal([]byte(ev[1]), &connect)
		clientID = connect.ClientID
	case <-time.After(5 * time.Second):
		t.Fatal("no PB_CONNECT")
	}
	body, _ := json.Marshal(map[string]any{"clientId": clientID, "subscriptions": []string{topic}})
	sub, _ := http.NewRequest(http.MethodPost, base+"/api/realtime", bytes.NewReader(body))
	sub.Header.Set("Content-Type", "application/json")
	sub.Header.Set("Authorization", token)
	subRes, err := http.DefaultClient.Do(sub)
	if err != nil {
		t.Fatal(err)
	}
	subRes.Body.Close()
	if subRes.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %d", subRes.StatusCode)
	}
	out := make(chan string, 16)
	go func() {
		defer close(out)
		for ev := range events {
			if ev[0] == topic {
				out <- ev[1]
			}
		}
	}()
	return out
}
