package notify_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/notify"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// academyEngine: a fixture app wired like production, its engine quick
// enough for tests and started.
func academyEngine(t *testing.T) (*testapp.Fixtures, *workflows.Engine, core.App) {
	t.Helper()
	app, f := testapp.New(t, wiring.WithEngineOptions(workflows.Options{
		Workers: 4, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		ShutdownGrace: time.Second, MailInterval: 50 * time.Millisecond, NoSchedules: true,
	}))
	eng := workflows.EngineOf(app)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return f, eng, app
}

func newLesson(t *testing.T, app core.App, f *testapp.Fixtures, kind string, start time.Time) *core.Record {
	t.Helper()
	lessons, _ := app.FindCollectionByNameOrId("lessons")
	l := core.NewRecord(lessons)
	l.Load(map[string]any{"teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "start": start,
		"end": start.Add(30 * time.Minute), "kind": kind, "status": "scheduled"})
	if err := app.Save(l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTrialLessonIsConfirmedToFamilyAndTeacher(t *testing.T) {
	t.Parallel()
	f, _, app := academyEngine(t)
	trial := newLesson(t, app, f, "trial", testapp.NextMonday().Add(90*time.Minute))
	runRec, err := app.FindFirstRecordByData("workflow_runs", "subject", "lessons:"+trial.Id)
	if err != nil {
		t.Fatalf("creating a trial lesson started no run: %v", err)
	}
	if runRec.GetString("owner") != f.ParentA.ID || runRec.GetString("idempotency_key") != "trial_confirmation:"+trial.Id {
		t.Errorf("run owner %q key %q", runRec.GetString("owner"), runRec.GetString("idempotency_key"))
	}
	done := waitFor(t, app, runRec.Id, 5*time.Second, workflows.StatusCompleted)
	var res notify.TrialResult
	json.Unmarshal(done.Result, &res)
	if !res.Confirmed || len(res.Mails) != 2 {
		t.Fatalf("result %s", done.Result)
	}
	family, err := app.FindFirstRecordByData("email_outbox", "idempotency_key", "trial-confirmation:"+trial.Id+":family")
	if err != nil || family.GetString("to") != f.ParentA.Email {
		t.Fatalf("family mail: %v %v", family, err)
	}
	teacher, err := app.FindFirstRecordByData("email_outbox", "idempotency_key", "trial-confirmation:"+trial.Id+":teacher")
	if err != nil || teacher.GetString("to") != f.TeacherXUser.Email {
		t.Fatalf("teacher mail: %v %v", teacher, err)
	}

	// The same confirmation started again (say from the route) is the same run.
	again, err := workflows.Start(app, notify.TrialConfirmation, notify.TrialInput{Lesson: trial.Id}, notify.TrialStartOptions(app, trial))
	if err != nil || again.ID != runRec.Id || !again.Existing {
		t.Errorf("second start: %v %v", again, err)
	}

	// A regular lesson starts no trial confirmation (its own booking
	// confirmation instead).
	before, _ := app.CountRecords("workflow_runs", dbx.HashExp{"name": "trial_confirmation"})
	newLesson(t, app, f, "regular", testapp.NextMonday().Add(150*time.Minute))
	if after, _ := app.CountRecords("workflow_runs", dbx.HashExp{"name": "trial_confirmation"}); after != before {
		t.Error("a regular lesson started a trial confirmation")
	}
}

func TestTrialConfirmationSkipsWhatIsNotAScheduledTrial(t *testing.T) {
	t.Parallel()
	f, _, app := academyEngine(t)
	run, err := workflows.Start(app, notify.TrialConfirmation, notify.TrialInput{Lesson: f.LessonA1}, workflows.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
	var res notify.TrialResult
	json.Unmarshal(done.Result, &res)
	if res.Confirmed || res.Reason != "the lesson is not a trial lesson" || len(res.Mails) != 0 {
		t.Errorf("result %s", done.Result)
	}
	var ie *workflows.InputError
	if _, err := workflows.Start(app, notify.TrialConfirmation, notify.TrialInput{Lesson: "bad id!"}, workflows.StartOptions{}); !errors.As(err, &ie) {
		t.Errorf("a malformed lesson id: %v", err)
	}
}

func TestLessonRemindersQueueOneMailPerLesson(t *testing.T) {
	t.Parallel()
	f, eng, app := academyEngine(t)
	lesson := testapp.Record(t, app, "lessons", f.LessonA1)
	start := lesson.GetDateTime("start").Time()
	in := notify.ReminderInput{From: start.Add(-time.Hour), To: start.Add(time.Hour)}
	for range 2 {
		run, err := workflows.Start(app, notify.LessonReminders, in, workflows.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done := waitFor(t, app, run.ID, 5*time.Second, workflows.StatusCompleted)
		var res struct {
			Queued int `json:"queued"`
		}
		json.Unmarshal(done.Result, &res)
		if res.Queued != 2 {
			t.Errorf("queued %d, want the family's and the teacher's for the one lesson in the window", res.Queued)
		}
	}
	n, _ := app.CountRecords("email_outbox", dbx.NewExp("idempotency_key LIKE {:k}", dbx.Params{"k": "lesson-reminder:" + f.LessonA1 + ":%"}))
	if n != 2 {
		t.Errorf("%d reminders for the lesson, want 2 (family, teacher) however often the window runs", n)
	}
	if _, err := workflows.Start(app, notify.LessonReminders, notify.ReminderInput{From: start, To: start.Add(-time.Hour)}, workflows.StartOptions{}); err == nil {
		t.Error("an inverted window was accepted")
	}

	// The hourly schedule covers the gap since its last slot, a day ahead.
	last := time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC)
	_, err := app.NonconcurrentDB().Insert("workflow_schedules", dbx.Params{
		"id": "schedreminders1", "name": "lesson_reminders", "last_slot": "2026-03-01 08:05:00.000Z", "created": "", "updated": "",
	}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	runs, err := eng.RunSchedules(time.Date(2026, 3, 1, 11, 30, 0, 0, time.UTC))
	if err != nil || len(runs) != 1 {
		t.Fatalf("schedule: %v %v", runs, err)
	}
	var window notify.ReminderInput
	json.Unmarshal(runs[0].Input, &window)
	if !window.From.Equal(last.Add(24*time.Hour)) || !window.To.Equal(time.Date(2026, 3, 2, 11, 5, 0, 0, time.UTC)) {
		t.Errorf("window %+v", window)
	}
}

// waitFor polls the run until it has one of the statuses.
func waitFor(t *testing.T, app core.App, id string, timeout time.Duration, statuses ...workflows.Status) *workflows.Run {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *workflows.Run
	for time.Now().Before(deadline) {
		r, err := workflows.Get(app, id)
		if err != nil {
			t.Fatal(err)
		}
		last = r
		for _, s := range statuses {
			if r.Status == s {
				return r
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s: status %s after %s, want %v (error %q)", id, last.Status, timeout, statuses, last.Error)
	return nil
}
