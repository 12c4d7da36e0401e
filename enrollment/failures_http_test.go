package enrollment_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/enrollment"
	"cedarheights/internal/testapp"
	"cedarheights/workflows"
)

// Wrong requests are refused before anything exists, every wrong field
// named at once.
func TestFieldErrorsAllAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	young := e.pianoStudent("Tiny")
	young["birth_date"] = time.Now().AddDate(-3, 0, 0).Format(time.DateOnly)
	theremin := e.pianoStudent("Theo")
	theremin["instrument"] = e.f.Theremin
	before := map[string]int{"users": e.count("users", nil), "students": e.count("students", nil), "lessons": e.count("lessons", nil), "workflow_runs": e.count("workflow_runs", nil)}

	status, body := e.post("/api/v1/enrollments", e.f.ParentA.Token, map[string]any{
		"student": young, "plan": e.f.PlanHidden, "trial": e.trialAt(90)})
	data := obj(body["data"])
	if status != 400 || obj(obj(data["student"])["birth_date"])["code"] != "validation_too_young" || obj(data["plan"])["code"] != "validation_plan_inactive" {
		t.Errorf("too young + hidden plan: %d %s", status, body["_raw"])
	}
	status, body = e.post("/api/v1/enrollments", e.f.ParentA.Token, map[string]any{"student": theremin, "plan": e.f.PlanPublic, "trial": e.trialAt(90)})
	if status != 400 || obj(obj(obj(body["data"])["student"])["instrument"])["code"] != "validation_instrument_not_offered" {
		t.Errorf("instrument not offered: %d %s", status, body["_raw"])
	}
	status, body = e.post("/api/v1/public/enrollments", "", map[string]any{"parent": map[string]any{"name": "", "email": "nope"}, "student": map[string]any{}, "plan": ""})
	data = obj(body["data"])
	if status != 400 || data["parent"] == nil || data["student"] == nil || data["plan"] == nil || data["trial"] == nil {
		t.Errorf("empty public form: %d %s", status, body["_raw"])
	}
	// An account that confirmed its address must sign in.
	status, body = e.post("/api/v1/public/enrollments", "", map[string]any{"parent": map[string]any{"name": "A", "email": e.f.ParentA.Email},
		"student": e.pianoStudent("Zed"), "plan": e.f.PlanPublic, "trial": e.trialAt(90)})
	if status != 400 || obj(obj(obj(body["data"])["parent"])["email"])["code"] != "validation_account_exists" {
		t.Errorf("existing account: %d %s", status, body["_raw"])
	}

	// No teacher with room: teacher X is full (one student, capacity 1),
	// and so is Y for match me.
	for _, id := range []string{e.f.TeacherX, e.f.TeacherY} {
		teacher := testapp.Record(t, e.app, "teachers", id)
		teacher.Set("capacity", 1)
		if err := e.app.Save(teacher); err != nil {
			t.Fatal(err)
		}
	}
	status, body = e.post("/api/v1/enrollments", e.f.ParentB.Token, map[string]any{"student": e.pianoStudent("Full"), "plan": e.f.PlanPublic, "trial": e.trialAt(90)})
	if status != 400 || !strings.Contains(str(obj(obj(obj(body["data"])["trial"])["teacher"])["message"]), "no room") {
		t.Errorf("full teacher: %d %s", status, body["_raw"])
	}
	status, body = e.post("/api/v1/enrollments", e.f.ParentB.Token, map[string]any{"student": e.pianoStudent("Full"), "plan": e.f.PlanPublic, "match_me": true})
	if status != 400 || obj(obj(body["data"])["trial"])["code"] != "validation_no_teacher" {
		t.Errorf("match me with every teacher full: %d %s", status, body["_raw"])
	}
	for name, n := range before {
		if got := e.count(name, nil); got != n {
			t.Errorf("%s: %d → %d after refused requests", name, n, got)
		}
	}
}

// Two families asking for one slot at once: one enrollment wins, the
// other is refused with alternatives (at the route, or in its run, which
// then removes the student it made). One lesson in the slot.
func TestSlotTakenMeanwhileOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slot := e.trialAt(60)
	students := e.count("students", nil)
	type answer struct {
		status int
		body   map[string]any
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i, token := range []string{e.f.ParentA.Token, e.f.ParentB.Token} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, b := e.post("/api/v1/enrollments?wait=10000", token, map[string]any{"student": e.pianoStudent("Racer"), "plan": e.f.PlanPublic, "trial": slot})
			answers[i] = answer{s, b}
		}()
	}
	wg.Wait()
	won, lost := 0, 0
	for _, a := range answers {
		switch a.status {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
			lost++
			alts := obj(a.body["data"])["alternatives"]
			if alts == nil {
				alts = a.body["alternatives"]
			}
			if list, _ := alts.([]any); len(list) == 0 {
				t.Errorf("refused without alternatives: %s", a.body["_raw"])
			}
		default:
			t.Errorf("answer %d: %s", a.status, a.body["_raw"])
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won, %d lost", won, lost)
	}
	start := testapp.NextMonday().Add(60 * time.Minute).UTC().Format("2006-01-02 15:04:05.000Z")
	if n := e.count("lessons", dbx.HashExp{"start": start, "teacher": e.f.TeacherX}); n != 1 {
		t.Errorf("%d lessons in the slot", n)
	}
	if n := e.count("students", nil); n != students+1 {
		t.Errorf("%d students made, want the winner's only", n-students)
	}
	if e.stub.Count("subscription") != 1 {
		t.Errorf("%d subscriptions", e.stub.Count("subscription"))
	}
}

// The slot taken between the route's check and the run's hold: the run
// refuses with alternatives, removes the student it made and tells the
// family. (Started directly, as the route would, after the slot is gone.)
func TestSlotTakenInTheRunCompensates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slot := testapp.NextMonday().Add(60 * time.Minute)
	in := enrollment.Input{Parent: enrollment.ParentInput{ID: e.f.ParentB.ID}, Student: enrollment.StudentInput{
		FirstName: "Late", LastName: "Comer", BirthDate: "2015-01-01", Instrument: e.f.Piano}, Plan: e.f.PlanPublic,
		Trial: &enrollment.TrialSlot{Teacher: e.f.TeacherX, Start: slot}, Source: enrollment.SourceParent}
	lessons, _ := e.app.FindCollectionByNameOrId("lessons")
	taken := newRecord(lessons, map[string]any{"teacher": e.f.TeacherX, "student": e.f.StudentA1, "instrument": e.f.Piano,
		"start": slot, "end": slot.Add(30 * time.Minute), "kind": "regular", "status": "scheduled"})
	if err := e.app.Save(taken); err != nil {
		t.Fatal(err)
	}
	run, err := workflows.Start(e.app, enrollment.Enrollment, in, workflows.StartOptions{Owner: e.f.ParentB.ID})
	if err != nil {
		t.Fatal(err)
	}
	done := e.waitRun(run.ID)
	if done.Status != workflows.StatusFailed || !strings.Contains(done.Error, "taken") {
		t.Fatalf("run %s: %s", done.Status, done.Error)
	}
	if n := e.count("students", dbx.HashExp{"first_name": "Late"}); n != 0 {
		t.Error("the student made for the failed enrollment is left")
	}
	if n := e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + run.ID + ":failed", "to": e.f.ParentB.Email}); n != 1 {
		t.Error("the family was not told")
	}
	if !strings.Contains(string(done.State), "alternatives") {
		t.Error("no alternatives in the run's state")
	}
}

// A declined card fails the enrollment at the payment: the answer is 402,
// the hold is released, the enrollment marked failed with the reason, no
// subscription made, the family told.
func TestCardDeclinedReleasesTheHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.post("/api/v1/enrollments?wait=10000", e.f.ParentA.Token, map[string]any{
		"student": e.pianoStudent("Dana"), "plan": e.f.PlanPublic, "trial": e.trialAt(90), "payment_method": "pm_card_chargeDeclined"})
	if status != http.StatusPaymentRequired {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	enr, err := e.app.FindFirstRecordByData("enrollments", "run", str(body["run"]))
	if err != nil {
		t.Fatal(err)
	}
	if enr.GetString("status") != "failed" || !strings.Contains(enr.GetString("failure_reason"), "declined") {
		t.Errorf("enrollment %s %q", enr.GetString("status"), enr.GetString("failure_reason"))
	}
	if e.count("lessons", dbx.HashExp{"id": enr.GetString("trial_lesson")}) != 0 || e.count("lessons", dbx.HashExp{"kind": "trial"}) != 0 {
		t.Error("the trial lesson is still held")
	}
	if e.stub.Count("subscription") != 0 {
		t.Errorf("%d subscriptions", e.stub.Count("subscription"))
	}
	runID := enr.GetString("run")
	// Told once, in the academy's layout (an html part beside the text).
	if e.count("email_outbox", dbx.And(dbx.HashExp{"idempotency_key": "enrollment:" + runID + ":failed"}, dbx.NewExp("html != '' AND text != ''"))) != 1 {
		t.Error("the family was not told, in html and text")
	}
}

// An address never confirmed: the wait times out, the hold is released
// and the enrollment marked failed, the family told.
func TestEmailNeverConfirmedReleasesTheHold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, enrollment.EnvConfirmTimeout, "1s")
	status, body := e.post("/api/v1/public/enrollments?wait=0", "", map[string]any{
		"parent":  map[string]any{"name": "Slow Sam", "email": "sam@example.test"},
		"student": e.pianoStudent("Sid"), "plan": e.f.PlanPublic, "trial": e.trialAt(120)})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body["_raw"])
	}
	run := e.waitRun(str(body["run"]))
	if run.Status != workflows.StatusFailed || !strings.Contains(run.Error, "not confirmed") {
		t.Fatalf("run %s: %s", run.Status, run.Error)
	}
	enr, err := e.app.FindFirstRecordByData("enrollments", "run", run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if enr.GetString("status") != "failed" || !strings.Contains(enr.GetString("failure_reason"), "not confirmed") {
		t.Errorf("enrollment %s %q", enr.GetString("status"), enr.GetString("failure_reason"))
	}
	if e.count("lessons", dbx.HashExp{"kind": "trial"}) != 0 {
		t.Error("the trial lesson is still held")
	}
	if e.count("email_outbox", dbx.HashExp{"idempotency_key": "enrollment:" + run.ID + ":failed", "to": "sam@example.test"}) != 1 {
		t.Error("the family was not told")
	}
}
