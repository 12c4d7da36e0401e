package enrollmentsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/enrollment"
	"cedarheights/hooks"
	"cedarheights/hooks/workflowsapi"
	"cedarheights/matching"
	"cedarheights/workflows"
)

// enrollments.go: /api/v1/enrollments starts the enrollment workflow (a
// parent for its own family, an admin for any family, new or not), admins
// ask for the matching answer and cancel an enrollment (which compensates).
// The public route for new families is in enrollments_public.go. Both
// starts answer with the run: 201 with the result when it completed within
// the bound (?wait=, milliseconds), 202 with the run's id while it goes on
// (a new parent confirming the e-mail address), the failure's own status
// when it failed within the bound (409 slot taken, with alternatives; 402
// card declined; 422 otherwise). The wait ends early once the run waits
// for the family (workflows.AwaitSettled): the confirmation cannot come
// while the family still waits for this answer. The run belongs to the
// family, which follows it over realtime (workflow_runs/<id>).

// enrollmentBody is what both start routes read.
type enrollmentBody struct {
	Parent        parentBody              `json:"parent"`
	Student       enrollment.StudentInput `json:"student"`
	Plan          string                  `json:"plan"`
	Trial         *enrollment.TrialSlot   `json:"trial"`
	MatchMe       bool                    `json:"match_me"`
	Teacher       string                  `json:"teacher"`
	PaymentMethod string                  `json:"payment_method"`
	Website       string                  `json:"website"` // the public form's honeypot
}

type parentBody struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

func (b enrollmentBody) input(source string) enrollment.Input {
	return enrollment.Input{
		Parent:  enrollment.ParentInput{ID: b.Parent.ID, Name: strings.TrimSpace(b.Parent.Name), Email: strings.TrimSpace(b.Parent.Email), Phone: b.Parent.Phone},
		Student: b.Student, Plan: b.Plan, Trial: b.Trial, MatchMe: b.MatchMe, Teacher: b.Teacher,
		PaymentMethod: b.PaymentMethod, Source: source,
	}
}

// StartEnrollment: POST /api/v1/enrollments. A parent enrolls for its own
// family (parent.id, when given, must be its own; it may not pick the
// teacher over the match); an admin for an existing family (parent.id) or
// a new one (parent.name, email, phone), and may set teacher.
func StartEnrollment(e *core.RequestEvent) error {
	var body enrollmentBody
	if err := hooks.ReadInto(e, &body); err != nil {
		return err
	}
	auth := e.Auth
	role := ""
	if auth != nil && auth.Collection().Name == "users" {
		role = auth.GetString("role")
	}
	var in enrollment.Input
	switch role {
	case "parent":
		if body.Parent.ID != "" && body.Parent.ID != auth.Id {
			return e.ForbiddenError("A parent enrolls for its own family only.", nil)
		}
		if body.Teacher != "" {
			return e.ForbiddenError("Only the academy chooses the teacher over the match.", nil)
		}
		body.Parent = parentBody{ID: auth.Id}
		in = body.input(enrollment.SourceParent)
	case "admin":
		in = body.input(enrollment.SourceAdmin)
	default:
		if !e.HasSuperuserAuth() {
			return e.ForbiddenError("Only parents and the academy's admins enroll students.", nil)
		}
		in = body.input(enrollment.SourceAdmin)
	}
	return startEnrollmentRun(e, in, body.Parent.Password, false)
}

// startEnrollmentRun checks in (every field at once), creates the new
// parent's account if there is one to create, starts the run owned by the
// family in the same transaction, and answers with it.
func startEnrollmentRun(e *core.RequestEvent, in enrollment.Input, password string, public bool) error {
	wait, werr := workflowsapi.RouteWait(e)
	newParent := in.Parent.ID == ""
	probe := in
	if newParent {
		probe.Parent.ID = ""
	}
	errs := validation.Errors{}
	if err := in.Validate(); err != nil {
		var fields validation.Errors
		if !errors.As(err, &fields) {
			return e.BadRequestError("Invalid submitted data.", err)
		}
		errs = fields
	}
	if password != "" && (len(password) < 8 || len(password) > 71) {
		errs["parent"] = mergeFieldError(errs["parent"], "password", validation.NewError("validation_length_out_of_range", "Must be 8 to 71 characters."))
	}
	if werr != nil {
		errs["wait"] = werr
	}
	if len(errs) == 0 {
		err := enrollment.Check(e.App, probe, time.Now())
		var fields validation.Errors
		var taken *enrollment.SlotTakenError
		switch {
		case errors.As(err, &fields):
			errs = fields
		case errors.As(err, &taken):
			return slotTakenAnswer(e, taken)
		case err != nil:
			return e.InternalServerError("", err)
		}
	}
	if len(errs) > 0 {
		return e.BadRequestError("Invalid submitted data.", errs)
	}

	var run *workflows.Run
	err := hooks.WriteTx(e, func(tx core.App) error {
		if newParent {
			id, created, err := familyAccount(tx, in.Parent, password, public)
			if err != nil {
				return err
			}
			in.Parent = enrollment.ParentInput{ID: id, NewAccount: created}
		}
		var err error
		run, err = workflows.Start(tx, enrollment.Enrollment, in, workflows.StartOptions{Owner: in.Parent.ID, Subject: "enrollments"})
		return err
	})
	if err != nil {
		return workflowsapi.WorkflowError(e, err)
	}
	// On an error the run is answered as started: it goes on regardless.
	run, _ = workflows.Settle(e.Request.Context(), e.App, run, wait)
	return enrollmentAnswer(e, run)
}

// familyAccount finds the new parent's account by e-mail or creates it
// (unconfirmed; the run sends the confirmation mail). An account that
// confirmed its address already must sign in: nobody enrolls into a
// family by knowing its e-mail address.
func familyAccount(tx core.App, p enrollment.ParentInput, password string, public bool) (string, bool, error) {
	existing, err := tx.FindAuthRecordByEmail("users", p.Email)
	if err == nil {
		if existing.Verified() || existing.GetString("role") != "parent" {
			msg := "An account with this e-mail address exists: please sign in to enroll."
			if !public {
				msg = "An account with this e-mail address exists: enroll with parent.id."
			}
			return "", false, apis.NewBadRequestError("Invalid submitted data.", validation.Errors{
				"parent": validation.Errors{"email": validation.NewError("validation_account_exists", msg)}})
		}
		return existing.Id, false, nil
	}
	users, err := tx.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return "", false, err
	}
	u := core.NewRecord(users)
	u.SetEmail(p.Email)
	u.SetVerified(false)
	if password == "" {
		password = security.RandomString(30) // set one later through a password reset
	}
	u.SetPassword(password)
	u.Load(map[string]any{"name": p.Name, "phone": p.Phone, "role": "parent"})
	if err := tx.Save(u); err != nil {
		return "", false, err
	}
	return u.Id, true, nil
}

func mergeFieldError(existing error, field string, err error) error {
	var fields validation.Errors
	if errors.As(existing, &fields) {
		fields[field] = err
		return fields
	}
	return validation.Errors{field: err}
}

// enrollmentRunState is the part of a run's state the answer shows.
type enrollmentRunState struct {
	Enrollment   string          `json:"enrollment"`
	Problem      string          `json:"problem"`
	Alternatives json.RawMessage `json:"alternatives"`
}

// enrollmentAnswer: 201 completed, 202 still going, or the failure.
func enrollmentAnswer(e *core.RequestEvent, run *workflows.Run) error {
	var st enrollmentRunState
	json.Unmarshal(run.State, &st)
	location := "/api/v1/workflows/runs/" + run.ID
	e.Response.Header().Set("Location", location)
	body := map[string]any{"run": run.ID, "status": run.Status, "follow": location}
	switch {
	case run.Status == workflows.StatusCompleted:
		body["result"] = run.Result
		return e.JSON(http.StatusCreated, body)
	case !run.Status.Terminal():
		body["enrollment"] = st.Enrollment
		if run.Status == workflows.StatusWaiting && run.WaitKey != "" && strings.HasPrefix(run.WaitKey, "user_verified:") {
			body["waiting_for"] = "email_confirmation"
		} else if run.Status == workflows.StatusWaiting {
			body["waiting_for"] = "payment_setup"
			// What the payment needs (a client secret for 3-D Secure) is
			// Stripe's, read live at this address (enrollment_payment.go).
			body["payment_url"] = "/api/v1/enrollments/" + st.Enrollment + "/payment"
		}
		return e.JSON(http.StatusAccepted, body)
	}
	why := run.Error
	if i := strings.Index(why, ": "); strings.HasPrefix(why, "node ") && i > 0 {
		why = why[i+2:]
	}
	why = strings.TrimSuffix(why, ".")
	status, field, code := http.StatusUnprocessableEntity, "enrollment", "validation_enrollment_failed"
	switch {
	case len(st.Alternatives) > 0 && string(st.Alternatives) != "null":
		status, field, code = http.StatusConflict, "trial", "validation_slot_taken"
		body["alternatives"] = st.Alternatives
	case strings.Contains(why, "card was declined"):
		status, field, code = http.StatusPaymentRequired, "payment_method", "validation_card_declined"
	}
	body["reason"] = why
	return failureAnswer(e, status, "The enrollment failed: "+why+".", field, code, why, body)
}

// failureAnswer is PocketBase's error shape (status, message, data with
// the field's code and message) plus extra top-level keys (the run, the
// alternatives), which an ApiError's data would not keep.
func failureAnswer(e *core.RequestEvent, status int, message, field, code, fieldMessage string, extra map[string]any) error {
	body := map[string]any{"status": status, "message": message,
		"data": map[string]any{field: map[string]string{"code": code, "message": fieldMessage}}}
	for k, v := range extra {
		if k != "status" {
			body[k] = v
		}
	}
	return e.JSON(status, body)
}

// slotTakenAnswer is the route's own 409 for a slot found taken before
// the run starts.
func slotTakenAnswer(e *core.RequestEvent, taken *enrollment.SlotTakenError) error {
	return failureAnswer(e, http.StatusConflict, taken.Message, "trial", "validation_slot_taken", taken.Message,
		map[string]any{"alternatives": taken.Alternatives})
}

// MatchEnrollment: GET|POST /api/v1/enrollments/match, admins: the
// teachers scored for a student, each factor in words. GET reads ?body=
// nothing: the request is JSON in a POST, or the query parameters
// instrument, plan, level, preferred_teacher, parent and limit in a GET.
func MatchEnrollment(e *core.RequestEvent) error {
	if !hooks.IsAdminCaller(e) {
		return e.ForbiddenError("Only the academy's admins see the matching.", nil)
	}
	var req enrollment.MatchRequest
	if e.Request.Method == http.MethodGet {
		q := e.Request.URL.Query()
		req = enrollment.MatchRequest{Parent: q.Get("parent"), Plan: q.Get("plan"), Student: enrollment.StudentInput{
			FirstName: valueOr(q.Get("first_name"), "Student"), LastName: valueOr(q.Get("last_name"), "-"),
			BirthDate: valueOr(q.Get("birth_date"), "2000-01-01"), Instrument: q.Get("instrument"), Level: q.Get("level"),
			PreferredTeacher: q.Get("preferred_teacher")}}
		if l := q.Get("limit"); l != "" {
			if err := hooks.WholeNumber(1, matching.MaxLimit)(l); err != nil {
				return e.BadRequestError("Invalid query parameters.", validation.Errors{"limit": err})
			}
			json.Unmarshal([]byte(l), &req.Limit)
		}
	} else if err := hooks.ReadInto(e, &req); err != nil {
		return err
	}
	res, err := enrollment.Match(e.App, req, time.Now())
	var fields validation.Errors
	var fe *matching.FieldError
	switch {
	case errors.As(err, &fields):
		return e.BadRequestError("Invalid submitted data.", fields)
	case errors.As(err, &fe):
		return e.BadRequestError("Invalid submitted data.", validation.Errors{fe.Field: validation.NewError("validation_invalid", fe.Err.Error())})
	case err != nil:
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, res)
}

// CancelEnrollment: POST /api/v1/enrollments/{id}/cancel, admins: cancels
// the enrollment through its own run (stop the enrollment run, cancel the
// subscription, release the trial, mark it cancelled, tell the family);
// 200 when done within the bound, 202 otherwise.
func CancelEnrollment(e *core.RequestEvent) error {
	if !hooks.IsAdminCaller(e) {
		return e.ForbiddenError("Only the academy's admins cancel enrollments.", nil)
	}
	enr, err := hooks.FindVisible(e, "enrollments", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := hooks.ReadInto(e, &body); err != nil {
		return err
	}
	in := enrollment.CancelInput{Enrollment: enr.Id, Reason: body.Reason}
	if err := in.Validate(); err != nil {
		return e.BadRequestError("Invalid submitted data.", err)
	}
	switch enr.GetString("status") {
	case "cancelled", "failed", "withdrawn":
		return e.BadRequestError("The enrollment has ended already.", validation.Errors{
			"status": validation.NewError("validation_enrollment_ended", "The enrollment is "+enr.GetString("status")+".")})
	}
	wait, werr := workflowsapi.RouteWait(e)
	if werr != nil {
		return e.BadRequestError("Invalid query parameters.", validation.Errors{"wait": werr})
	}
	var run *workflows.Run
	err = hooks.WriteTx(e, func(tx core.App) error {
		run, err = workflows.Start(tx, enrollment.Cancellation, in, enrollment.CancelStartOptions(tx, enr))
		return err
	})
	if err != nil {
		return workflowsapi.WorkflowError(e, err)
	}
	return workflowsapi.AwaitAndRespond(e, run, wait)
}

func valueOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
