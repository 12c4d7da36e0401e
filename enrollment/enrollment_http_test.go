package enrollment_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
	"cedarheights/workflows"
)

// A signed-in parent does not wait: the run completes within the route's
// bound, and the answer is 201 with the result. One lesson, one customer,
// one subscription (trialing until after the trial) and one welcome mail
// per person (family, teacher, admin).
func TestSignedInParentEnrollsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.post("/api/v1/enrollments?wait=10000", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Cleo"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_visa",
	})
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	res := obj(body["result"])
	enrID := str(res["enrollment"])
	enr, err := e.app.FindRecordById("enrollments", enrID)
	if err != nil {
		t.Fatalf("no enrollment %q: %v", enrID, err)
	}
	if enr.GetString("status") != "active" || enr.GetString("source") != "parent" || enr.GetString("run") != str(body["run"]) ||
		enr.GetString("stripe_status") != "trialing" || enr.GetString("teacher") != e.f.TeacherX {
		t.Errorf("enrollment %v", enr.PublicExport())
	}
	lesson, err := e.app.FindRecordById("lessons", enr.GetString("trial_lesson"))
	if err != nil || lesson.GetString("kind") != "trial" || !lesson.GetDateTime("start").Time().Equal(testapp.NextMonday().Add(90*time.Minute)) {
		t.Fatalf("trial lesson %v %v", lesson, err)
	}
	if e.stub.Count("customer") != 1 || e.stub.Count("subscription") != 1 {
		t.Errorf("%d customers, %d subscriptions", e.stub.Count("customer"), e.stub.Count("subscription"))
	}
	for _, who := range []string{"family", "teacher", e.f.Admin.ID} {
		if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + enrID + ":welcome:" + who}); n != 1 {
			t.Errorf("%d welcome mails for %s", n, who)
		}
	}
	// The family's welcome carries the trial as an invite with the lesson's
	// stable UID, in the academy's layout.
	welcome, err := e.app.FindFirstRecordByData("email_outbox", "idempotency_key", "enrollment:"+enrID+":welcome:family")
	if err != nil {
		t.Fatal(err)
	}
	var attached []struct {
		Name    string `json:"name"`
		Content string `json:"content_base64"`
	}
	json.Unmarshal([]byte(welcome.GetString("attachments")), &attached)
	if len(attached) != 1 {
		t.Fatalf("attachments %s", welcome.GetString("attachments"))
	}
	ics, _ := base64.StdEncoding.DecodeString(attached[0].Content)
	for _, want := range []string{"METHOD:REQUEST", "UID:" + lesson.Id + "@cedarheights", "DTSTART:" + testapp.NextMonday().Add(90*time.Minute).Format("20060102T150405Z")} {
		if !strings.Contains(string(ics), want) {
			t.Errorf("invite lacks %q:\n%s", want, ics)
		}
	}
	if !strings.Contains(welcome.GetString("html"), "Xavier Xu") || welcome.GetString("to") != e.f.ParentA.Email {
		t.Errorf("welcome mail to %s: %s", welcome.GetString("to"), welcome.GetString("html"))
	}
	if n := e.count("email_outbox", dbx.NewExp("idempotency_key LIKE 'enrollment:%:verify'")); n != 0 {
		t.Errorf("a confirmed parent got %d confirmation mails", n)
	}
	student := testapp.Record(t, e.app, "students", enr.GetString("student"))
	if student.GetString("parent") != e.f.ParentA.ID || student.GetString("status") != "active" {
		t.Errorf("student %v", student.PublicExport())
	}
	// The family follows its own run; another family does not see it.
	if s, _ := e.get("/api/v1/workflows/runs/"+str(body["run"]), e.f.ParentA.Token); s != 200 {
		t.Errorf("the family reading its run: %d", s)
	}
	if s, _ := e.get("/api/v1/workflows/runs/"+str(body["run"]), e.f.ParentB.Token); s != 404 {
		t.Errorf("another family reading the run: %d", s)
	}
}

// A new parent (public route) waits for the e-mail confirmation: 202, the
// slot held, the enrollment pending_confirmation; confirming the address
// (PocketBase's own confirm-verification) completes the run.
func TestNewParentConfirmsTheAddressThenCompletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.post("/api/v1/public/enrollments", "", map[string]any{
		"parent":  map[string]any{"name": "Nora New", "email": "nora@example.test", "phone": "+1 604 555 0199", "password": "long enough 1"},
		"student": e.pianoStudent("Nils"), "plan": e.f.PlanPublic, "trial": e.trialAt(120), "website": "",
	})
	if status != http.StatusAccepted || body["waiting_for"] != "email_confirmation" {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	if strings.Contains(str(body["_raw"]), "nora@example.test") {
		t.Error("the public answer carries the e-mail address")
	}
	runID := str(body["run"])
	user, err := e.app.FindAuthRecordByEmail("users", "nora@example.test")
	if err != nil || user.Verified() || user.GetString("role") != "parent" {
		t.Fatalf("new parent %v %v", user, err)
	}
	enr, err := e.app.FindFirstRecordByData("enrollments", "run", runID)
	if err != nil || enr.GetString("status") != "pending_confirmation" || enr.GetString("source") != "public" {
		t.Fatalf("enrollment while waiting: %v %v", enr, err)
	}
	if n := e.count("lessons", dbx.HashExp{"id": enr.GetString("trial_lesson")}); n != 1 {
		t.Fatal("the trial slot is not held while the address is confirmed")
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + runID + ":verify", "to": "nora@example.test"}); n != 1 {
		t.Fatalf("%d confirmation mails", n)
	}

	// The parent signs in with the password and sees the run.
	status, login := e.post("/api/collections/users/auth-with-password", "", map[string]any{"identity": "nora@example.test", "password": "long enough 1"})
	if status != 200 {
		t.Fatalf("login %d: %s", status, login["_raw"])
	}
	if s, run := e.get("/api/v1/workflows/runs/"+runID, str(login["token"])); s != 200 || run["status"] != "waiting" {
		t.Fatalf("the new parent reading its run: %d %v", s, run["status"])
	}

	token, err := user.NewVerificationToken()
	if err != nil {
		t.Fatal(err)
	}
	if s, b := e.post("/api/collections/users/confirm-verification", "", map[string]any{"token": token}); s != 204 {
		t.Fatalf("confirm: %d %s", s, b["_raw"])
	}
	run := e.waitRun(runID)
	if run.Status != workflows.StatusCompleted {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	enr = testapp.Record(t, e.app, "enrollments", enr.Id)
	if enr.GetString("status") != "active" {
		t.Errorf("enrollment %s after confirmation", enr.GetString("status"))
	}
	if n := e.count("email_outbox", dbx.NewExp("idempotency_key LIKE {:k}", dbx.Params{"k": "enrollment:" + enr.Id + ":welcome:%"})); n != 3 {
		t.Errorf("%d welcome mails, want family, teacher, admin", n)
	}
}

// The honeypot: a filled "website" looks accepted and does nothing.
func TestPublicHoneypotDoesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users, runs := e.count("users", nil), e.count("workflow_runs", nil)
	status, body := e.post("/api/v1/public/enrollments", "", map[string]any{
		"parent":  map[string]any{"name": "Bot", "email": "bot@example.test"},
		"student": e.pianoStudent("Bot"), "plan": e.f.PlanPublic, "trial": e.trialAt(120), "website": "http://spam.example",
	})
	if status != http.StatusAccepted || str(body["run"]) == "" {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	if e.count("users", nil) != users || e.count("workflow_runs", nil) != runs {
		t.Error("the honeypot created something")
	}
}

// Match me: the academy picks the teacher and the slot (teacher Y teaches
// violin on Wednesdays, inside the family's preferred time).
func TestMatchMePicksTeacherAndSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := student("Vera")
	s["instrument"] = e.f.Violin
	s["preferred_times"] = []map[string]any{{"weekday": 3, "start": "12:00", "end": "14:00"}}
	status, body := e.post("/api/v1/enrollments?wait=10000", e.f.ParentB.Token, map[string]any{"student": s, "plan": e.f.PlanPublic, "match_me": true})
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	res := obj(body["result"])
	enr := testapp.Record(t, e.app, "enrollments", str(res["enrollment"]))
	lesson := testapp.Record(t, e.app, "lessons", enr.GetString("trial_lesson"))
	start := lesson.GetDateTime("start").Time()
	if enr.GetString("teacher") != e.f.TeacherY || start.Weekday() != time.Wednesday || start.Hour() < 12 || enr.GetInt("weekday") != 3 {
		t.Errorf("matched %s at %s (weekday %d %s)", enr.GetString("teacher"), start, enr.GetInt("weekday"), enr.GetString("start_time"))
	}
}

// An admin's teacher goes over the match; a parent may not choose one.
func TestAdminOverridesTheMatchedTeacher(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := map[string]any{"parent": map[string]any{"id": e.f.ParentB.ID}, "student": e.pianoStudent("Otto"), "plan": e.f.PlanPublic,
		"match_me": true, "teacher": e.f.TeacherY}
	if s, b := e.post("/api/v1/enrollments", e.f.ParentB.Token, body); s != http.StatusForbidden {
		t.Errorf("a parent choosing the teacher: %d %s", s, b["_raw"])
	}
	status, answer := e.post("/api/v1/enrollments?wait=10000", e.f.Admin.Token, body)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, answer["_raw"])
	}
	enr := testapp.Record(t, e.app, "enrollments", str(obj(answer["result"])["enrollment"]))
	if enr.GetString("teacher") != e.f.TeacherY || enr.GetString("source") != "admin" {
		t.Errorf("teacher %s source %s", enr.GetString("teacher"), enr.GetString("source"))
	}
	// The matching answer itself, for admins only.
	if s, _ := e.get("/api/v1/enrollments/match?instrument="+e.f.Piano+"&plan="+e.f.PlanPublic, e.f.ParentA.Token); s != http.StatusForbidden {
		t.Errorf("a parent asking for the matching: %d", s)
	}
	s, m := e.post("/api/v1/enrollments/match", e.f.Admin.Token, map[string]any{"student": e.pianoStudent("Otto"), "plan": e.f.PlanPublic, "limit": 5})
	if s != 200 || len(m["matches"].([]any)) == 0 {
		t.Fatalf("match: %d %s", s, m["_raw"])
	}
	first := obj(m["matches"].([]any)[0])
	if len(first["factors"].([]any)) == 0 {
		t.Errorf("a match without its factors: %v", first)
	}
}

// An admin's cancel compensates: the subscription cancelled at Stripe,
// the trial lesson released, the enrollment cancelled, the family told.
func TestAdminCancelCompensates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, body := e.post("/api/v1/enrollments?wait=10000", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Cara"), "plan": e.f.PlanPublic, "trial": e.trialAt(150)})
	enrID := str(obj(body["result"])["enrollment"])
	enr := testapp.Record(t, e.app, "enrollments", enrID)
	lesson, sub := enr.GetString("trial_lesson"), enr.GetString("stripe_subscription_id")
	if lesson == "" || sub == "" {
		t.Fatalf("enrollment %v", enr.PublicExport())
	}
	if s, _ := e.post("/api/v1/enrollments/"+enrID+"/cancel", e.f.ParentA.Token, map[string]any{}); s != http.StatusForbidden {
		t.Errorf("a parent cancelling: %d", s)
	}
	status, answer := e.post("/api/v1/enrollments/"+enrID+"/cancel?wait=10000", e.f.Admin.Token, map[string]any{"reason": "family moved away"})
	if status != 200 || answer["status"] != "completed" {
		t.Fatalf("cancel %d: %s", status, answer["_raw"])
	}
	enr = testapp.Record(t, e.app, "enrollments", enrID)
	if enr.GetString("status") != "cancelled" || !strings.Contains(enr.GetString("failure_reason"), "family moved away") {
		t.Errorf("enrollment %s %q", enr.GetString("status"), enr.GetString("failure_reason"))
	}
	if e.count("lessons", dbx.HashExp{"id": lesson}) != 0 {
		t.Error("the trial lesson is still booked")
	}
	if e.stub.Get(sub)["status"] != "canceled" {
		t.Errorf("subscription %v", e.stub.Get(sub)["status"])
	}
	if e.count("email_outbox", dbx.And(dbx.HashExp{"idempotency_key": "enrollment:" + enrID + ":cancelled"}, dbx.NewExp("html != '' AND text != ''"))) != 1 {
		t.Error("the family was not told, in html and text")
	}
	if s, _ := e.post("/api/v1/enrollments/"+enrID+"/cancel", e.f.Admin.Token, map[string]any{}); s != http.StatusBadRequest {
		t.Errorf("cancelling twice: %d", s)
	}
}
