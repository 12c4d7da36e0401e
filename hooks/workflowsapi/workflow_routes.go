package workflowsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
	"cedarheights/notify"
	"cedarheights/workflows"
)

// workflow_routes.go: /api/v1/workflows over the workflow engine. Who sees
// a run is the workflow_runs ViewRule (admins, and the family a run was
// started for); who may retry, resume or cancel it is its UpdateRule
// (admins); starting arbitrary runs and injecting events is for superusers
// (the collections have no create rule). The trial-confirmation route shows
// the sync-or-async answer: 200 with the result when the run finishes
// within the bound, 202 with the run's id otherwise.

const (
	runsCollection  = "workflow_runs"
	stepsCollection = "workflow_steps"

	// defaultRouteWait and maxRouteWait bound how long a route waits for a
	// run it started (?wait=milliseconds).
	defaultRouteWait = 2 * time.Second
	maxRouteWait     = 10 * time.Second
)

var workflowRunSorts = map[string]string{
	"created":  "created,id",
	"-created": "-created,-id",
	"updated":  "updated,id",
	"-updated": "-updated,-id",
}

type workflowRunFilters struct {
	Status  string `json:"status"`
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Owner   string `json:"owner"`
}

var workflowName = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)

func (f workflowRunFilters) validate() error {
	statuses := make([]any, len(workflows.Statuses))
	for i, s := range workflows.Statuses {
		statuses[i] = string(s)
	}
	return validation.ValidateStruct(&f,
		validation.Field(&f.Status, validation.In(statuses...).Error("Must be a run status.")),
		validation.Field(&f.Name, validation.Match(workflowName).Error("Must be a workflow name.")),
		validation.Field(&f.Subject, validation.RuneLength(0, 200)),
		validation.Field(&f.Owner, hooks.IsRecordID),
	)
}

func (f workflowRunFilters) query() hooks.ListQuery {
	var conds []string
	params := dbx.Params{}
	for _, c := range []struct{ field, value string }{{"status", f.Status}, {"name", f.Name}, {"subject", f.Subject}, {"owner", f.Owner}} {
		if c.value != "" {
			conds = append(conds, c.field+" = {:"+c.field+"}")
			params[c.field] = c.value
		}
	}
	return hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: params}
}

// ListWorkflowRuns: GET /api/v1/workflows/runs, newest first, narrowed by
// status, name, subject and owner within what the ListRule shows.
func ListWorkflowRuns(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	filters := workflowRunFilters{Status: q.Get("status"), Name: q.Get("name"), Subject: q.Get("subject"), Owner: q.Get("owner")}
	page := hooks.ReadPageParams(e)
	if err := hooks.MergeErrors(filters.validate(), page.Validate(workflowRunSorts)); err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}
	lq := filters.query()
	page.Apply(&lq, workflowRunSorts, "-created")
	// From the rows, not records: with 22 keys a run, building and encoding
	// records cost more than the built-in list's whole request (issue 14).
	return hooks.RespondVisibleList(e, runsCollection, lq)
}

// ViewWorkflowRun: GET /api/v1/workflows/runs/{id}, the run with its steps
// (each attempt, timing and error), both under their collections' rules.
func ViewWorkflowRun(e *core.RequestEvent) error {
	run, err := hooks.FindVisible(e, runsCollection, e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	steps, err := hooks.AllVisible(e, stepsCollection, hooks.ListQuery{Filter: "run = {:run}", Params: dbx.Params{"run": run.Id}, Sort: "created"})
	if err != nil {
		return err
	}
	if err := apis.EnrichRecords(e, steps); err != nil {
		return hooks.EnrichError(e, err)
	}
	run.WithCustomData(true)
	run.Set("steps", steps)
	return hooks.RespondRecord(e, http.StatusOK, run)
}

// retryWorkflowRun, resumeWorkflowRun and cancelWorkflowRun: POST
// /api/v1/workflows/runs/{id}/retry|resume|cancel.
var (
	RetryWorkflowRun = controlWorkflowRun(func(app core.App, id string, body map[string]any) error {
		from, _ := body["from"].(string)
		_, err := workflows.Retry(app, id, from)
		return err
	})
	ResumeWorkflowRun = controlWorkflowRun(func(app core.App, id string, _ map[string]any) error {
		_, err := workflows.Resume(app, id)
		return err
	})
	CancelWorkflowRun = controlWorkflowRun(func(app core.App, id string, body map[string]any) error {
		reason, _ := body["reason"].(string)
		_, err := workflows.Cancel(app, id, reason)
		return err
	})
)

// controlWorkflowRun: POST /runs/{id}/retry|resume|cancel, for whoever the
// runs' UpdateRule admits; a run the caller cannot see is a 404.
func controlWorkflowRun(action func(app core.App, id string, body map[string]any) error) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		run, err := hooks.FindVisible(e, runsCollection, e.Request.PathValue("id"))
		if err != nil {
			return err
		}
		b, err := hooks.ReadBody(e)
		if err != nil {
			return err
		}
		b.StrMax("from", 500)
		b.StrMax("reason", 500)
		if err := b.Check(e); err != nil {
			return err
		}
		body := b.Data
		err = hooks.WriteTx(e, func(txApp core.App) error {
			if err := hooks.CheckRule(txApp, e, run, run.Collection().UpdateRule, body); err != nil {
				return err
			}
			return action(txApp, run.Id, body)
		})
		if err != nil {
			return WorkflowError(e, err)
		}
		fresh, err := e.App.FindRecordById(runsCollection, run.Id)
		if err != nil {
			return e.InternalServerError("", err)
		}
		return hooks.RespondRecord(e, http.StatusOK, fresh)
	}
}

// StartWorkflowRun: POST /api/v1/workflows/runs starts any registered
// workflow by name (superusers: the collection has no create rule).
func StartWorkflowRun(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	body := b.Data
	name := b.StrMax("workflow", 255)
	key := b.StrMax("idempotency_key", 255)
	subject := b.StrMax("subject", 255)
	owner := b.StrMax("owner", 255)
	wait, werr := RouteWait(e)
	b.Add("wait", werr)
	if name == "" {
		b.Add("workflow", validation.ErrRequired)
	}
	input := b.Data["input"]
	b.Object("input")
	if err := b.Check(e); err != nil {
		return err
	}

	collection, err := e.App.FindCachedCollectionByNameOrId(runsCollection)
	if err != nil {
		return e.InternalServerError("", err)
	}
	probe := core.NewRecord(collection)
	probe.Load(map[string]any{"name": name, "subject": subject, "owner": owner, "idempotency_key": key, "status": "pending"})
	if err := hooks.CheckCreate(e.App, e, probe, body); err != nil {
		return err
	}
	raw, _ := json.Marshal(input)
	var run *workflows.Run
	err = hooks.WriteTx(e, func(txApp core.App) error {
		run, err = workflows.StartByName(txApp, name, raw, workflows.StartOptions{IdempotencyKey: key, Subject: subject, Owner: owner})
		return err
	})
	if err != nil {
		return WorkflowError(e, err)
	}
	return AwaitAndRespond(e, run, wait)
}

// SignalWorkflowEvent: POST /api/v1/workflows/events delivers an event
// (superusers: the inbox has no create rule); 202 when stored, 200 for a
// repeat of an event id already stored.
func SignalWorkflowEvent(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	body := b.Data
	key := b.StrMax("key", 255)
	eventID := b.StrMax("event_id", 255)
	if key == "" {
		b.Add("key", validation.ErrRequired)
	}
	if err := b.Check(e); err != nil {
		return err
	}
	collection, err := e.App.FindCachedCollectionByNameOrId("workflow_events")
	if err != nil {
		return e.InternalServerError("", err)
	}
	probe := core.NewRecord(collection)
	probe.Load(map[string]any{"key": key, "event_id": eventID})
	if err := hooks.CheckCreate(e.App, e, probe, body); err != nil {
		return err
	}
	var res workflows.SignalResult
	err = hooks.WriteTx(e, func(txApp core.App) error {
		res, err = workflows.Signal(txApp, key, body["payload"], workflows.SignalOptions{EventID: eventID})
		return err
	})
	if err != nil {
		return WorkflowError(e, err)
	}
	status := http.StatusAccepted
	if res.Duplicate {
		status = http.StatusOK
	}
	return e.JSON(status, map[string]any{
		"id": res.ID, "duplicate": res.Duplicate, "woken": nonNil(res.Woken), "started": nonNil(res.Started),
	})
}

// ConfirmTrialLesson: POST /api/v1/workflows/trial-confirmations sends a
// trial lesson's confirmations (once per lesson: the record hook that runs
// when the lesson is booked and this route share the run). Whoever may
// change the lesson (its UpdateRule: admins, the lesson's teacher) may ask.
func ConfirmTrialLesson(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	in := notify.TrialInput{Lesson: b.StrMax("lesson", 255)}
	wait, werr := RouteWait(e)
	b.Add("wait", werr)
	b.AddAll(in.Validate(), "lesson")
	if err := b.Check(e); err != nil {
		return err
	}
	lesson, err := hooks.FindVisible(e, "lessons", in.Lesson)
	if err != nil {
		return err
	}
	if err := hooks.CheckRule(e.App, e, lesson, lesson.Collection().UpdateRule, map[string]any{}); err != nil {
		return err
	}
	if lesson.GetString("kind") != "trial" {
		return e.BadRequestError("Invalid submitted data.", validation.Errors{
			"lesson": validation.NewError("validation_not_trial", "Must be a trial lesson."),
		})
	}
	run, err := workflows.Start(e.App, notify.TrialConfirmation, in, notify.TrialStartOptions(e.App, lesson))
	if err != nil {
		return WorkflowError(e, err)
	}
	return AwaitAndRespond(e, run, wait)
}

// AwaitAndRespond waits up to wait for the run to end, or less when it
// cannot move on within wait without something from outside
// (workflows.AwaitSettled): 200 with its result when it ended, 202 with its
// id (and where to follow it) when not.
func AwaitAndRespond(e *core.RequestEvent, run *workflows.Run, wait time.Duration) error {
	run, err := workflows.Settle(e.Request.Context(), e.App, run, wait)
	if err != nil {
		return e.InternalServerError("", err)
	}
	e.Response.Header().Set("Location", "/api/v1/workflows/runs/"+run.ID)
	status := http.StatusAccepted
	if run.Status.Terminal() {
		status = http.StatusOK
	}
	return e.JSON(status, map[string]any{
		"id": run.ID, "workflow": run.Name, "status": run.Status, "existing": run.Existing,
		"result": run.Result, "error": run.Error,
	})
}

// RouteWait reads ?wait= (milliseconds, at most maxRouteWait).
func RouteWait(e *core.RequestEvent) (time.Duration, error) {
	s := e.Request.URL.Query().Get("wait")
	if s == "" {
		return defaultRouteWait, nil
	}
	if err := hooks.WholeNumber(0, int(maxRouteWait/time.Millisecond))(s); err != nil {
		return 0, err
	}
	ms, _ := strconv.Atoi(s)
	return time.Duration(ms) * time.Millisecond, nil
}

// WorkflowError maps the engine's errors onto PocketBase's error shape.
func WorkflowError(e *core.RequestEvent, err error) error {
	if apiErr := hooks.AsAPIError(err); apiErr != nil {
		return apiErr
	}
	var inputErr *workflows.InputError
	var stateErr *workflows.StateError
	switch {
	case errors.As(err, &inputErr):
		return e.BadRequestError("Invalid workflow input.", validation.Errors{"input": hooks.InputFieldErrors(inputErr.Err)})
	case errors.As(err, &stateErr):
		return e.BadRequestError(stateErr.Msg, validation.Errors{
			"status": validation.NewError("validation_run_status", stateErr.Msg),
		})
	case errors.Is(err, workflows.ErrNotFound):
		return e.NotFoundError("", nil)
	case errors.Is(err, workflows.ErrNotRegistered):
		return e.BadRequestError("Invalid submitted data.", validation.Errors{
			"workflow": validation.NewError("validation_unknown_workflow", "Unknown workflow."),
		})
	}
	return e.InternalServerError("", err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
