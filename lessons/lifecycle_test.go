package lessons_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/internal/testapp"
)

// lifecycleGrid is what every mover gets for every status move of one of
// teacher X's lessons with student A1 (family A), through the record API
// (Go code for system), for a lesson that started a week ago / starts in a
// week (past/future). 200 the move happened; 400 the lesson's state or time
// is wrong for it (field status); 403 the mover may never make it; 404 the
// collection rule already hides the lesson from that write. A completed or
// no_show lesson in the future cannot be made any more; it stands for data
// written before the lifecycle was enforced.
const lifecycleGrid = `
move                   admin    superuser teacher  otherTeacher parent  otherParent system
scheduled>completed    200/400  200/400   200/400  404/404      404/404 404/404     200/400
scheduled>no_show      200/400  200/400   200/400  404/404      404/404 404/404     200/400
scheduled>cancelled    200/200  200/200   404/404  404/404      400/200 404/404     200/200
completed>scheduled    200/200  200/200   200/200  404/404      404/404 404/404     200/200
completed>no_show      200/400  200/400   200/400  404/404      404/404 404/404     200/400
completed>cancelled    200/200  200/200   404/404  404/404      404/404 404/404     200/200
no_show>scheduled      200/200  200/200   200/200  404/404      404/404 404/404     200/200
no_show>completed      200/400  200/400   200/400  404/404      404/404 404/404     200/400
no_show>cancelled      200/200  200/200   404/404  404/404      404/404 404/404     200/200
cancelled>scheduled    200/200  200/200   403/403  404/404      404/404 404/404     200/200
cancelled>completed    400/400  400/400   400/400  404/404      404/404 404/404     400/400
cancelled>no_show      400/400  400/400   400/400  404/404      404/404 404/404     400/400
`

// The two starts a case's lesson gets: Mondays 16:00 inside teacher X's
// availability, clear of the fixture lessons.
func lifecyclePast() time.Time   { return testapp.NextMonday().AddDate(0, 0, -14) }
func lifecycleFuture() time.Time { return testapp.NextMonday().AddDate(0, 0, 7) }

func TestLessonLifecycleTable(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	tokens := map[string]string{
		"admin": f.Admin.Token, "superuser": f.Superuser.Token, "teacher": f.TeacherXUser.Token,
		"otherTeacher": f.TeacherYUser.Token, "parent": f.ParentA.Token, "otherParent": f.ParentB.Token,
	}
	lines := strings.Split(strings.TrimSpace(lifecycleGrid), "\n")
	movers := strings.Fields(lines[0])[1:]
	cases := 0
	for _, line := range lines[1:] {
		cells := strings.Fields(line)
		from, to, _ := strings.Cut(cells[0], ">")
		for i, mover := range movers {
			past, future, _ := strings.Cut(cells[i+1], "/")
			for _, when := range []struct {
				name  string
				start time.Time
				want  string
			}{{"past", lifecyclePast(), past}, {"future", lifecycleFuture(), future}} {
				want, _ := strconv.Atoi(when.want)
				name := fmt.Sprintf("%s/%s>%s/%s", mover, from, to, when.name)
				t.Run(name, func(t *testing.T) {
					id := insertLesson(t, app, f, from, when.start)
					defer removeLesson(t, app, id)
					var code int
					var body string
					if mover == "system" {
						code, body = lifecycleGoSave(t, app, id, to)
					} else {
						cancelledBy := "academy"
						if strings.HasSuffix(mover, "arent") {
							cancelledBy = "family"
						}
						code, body = lifecycleCall(t, srv.URL, http.MethodPatch, "/api/collections/lessons/records/"+id, tokens[mover],
							lifecycleBody(to, cancelledBy))
					}
					if code != want {
						t.Fatalf("%s: %d, want %d\n%s", name, code, want, body)
					}
					if (code == 400 || code == 403) && !strings.Contains(body, `"status":{"code":"lesson_`) {
						t.Errorf("refusal does not name the status field: %s", body)
					}
					checkLessonAfter(t, app, id, from, to, code == 200)
				})
				cases++
			}
		}
	}
	if cases != 12*7*2 {
		t.Fatalf("%d cases, want every status pair × 7 movers × past/future", cases)
	}
}

// checkLessonAfter: a refused move changed nothing; a lesson that is not
// cancelled carries no cancellation fields; a reinstatement took back the
// credit, visibly.
func checkLessonAfter(t *testing.T, app core.App, id, from, to string, done bool) {
	t.Helper()
	l := testapp.Record(t, app, "lessons", id)
	want := from
	if done {
		want = to
	}
	if got := l.GetString("status"); got != want {
		t.Fatalf("status %s, want %s", got, want)
	}
	if want != "cancelled" {
		for _, field := range []string{"cancelled_by", "cancelled_at", "cancellation_note"} {
			if v := l.GetString(field); v != "" {
				t.Errorf("%s lesson kept %s = %q", want, field, v)
			}
		}
	}
	if from == "cancelled" {
		credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", id)
		if err != nil {
			t.Fatalf("the cancellation's credit is gone: %v", err)
		}
		revoked := !credit.GetDateTime("revoked_at").IsZero()
		if revoked != done || (done && !strings.Contains(credit.GetString("revoked_reason"), "reinstated")) {
			t.Errorf("after %s→%s (done %v) the credit is revoked %v (%q)", from, to, done, revoked, credit.GetString("revoked_reason"))
		}
	}
}

func lifecycleBody(to, cancelledBy string) string {
	if to == "cancelled" {
		return fmt.Sprintf(`{"status":"cancelled","cancelled_by":%q}`, cancelledBy)
	}
	return fmt.Sprintf(`{"status":%q}`, to)
}

// lifecycleGoSave moves the lesson as Go code does (a workflow, the CLI)
// and answers the status code an API error would carry.
func lifecycleGoSave(t *testing.T, app core.App, id, to string) (int, string) {
	t.Helper()
	l := testapp.Record(t, app, "lessons", id)
	l.Set("status", to)
	if to == "cancelled" {
		l.Set("cancelled_by", "academy")
	}
	err := app.Save(l)
	if err == nil {
		return 200, ""
	}
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) {
		t.Fatalf("Go save: %v", err)
	}
	raw, _ := json.Marshal(map[string]any{"message": apiErr.Message, "data": apiErr.Data})
	return apiErr.Status, string(raw)
}

func lifecycleCall(t *testing.T, base, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// insertLesson writes a lesson of teacher X and student A1 in the given
// state straight into the table (the hooks would refuse some of the states
// the table starts from); a cancelled one comes with its make-up credit.
func insertLesson(t testing.TB, app core.App, f *testapp.Fixtures, status string, start time.Time) string {
	t.Helper()
	id := core.GenerateDefaultRandomId()
	row := dbx.Params{
		"id": id, "teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "room": f.Room,
		"start": dbDate(start), "end": dbDate(start.Add(30 * time.Minute)), "kind": "regular", "status": status,
		"created": dbDate(time.Now()), "updated": dbDate(time.Now()),
	}
	if status == "cancelled" {
		row["cancelled_by"] = "family"
		row["cancelled_at"] = dbDate(start.Add(-10 * 24 * time.Hour))
		row["cancellation_note"] = "make-up credit: cancelled 240h ahead (policy: 24h)"
	}
	if _, err := app.DB().Insert("lessons", row).Execute(); err != nil {
		t.Fatal(err)
	}
	if status == "cancelled" {
		credit := dbx.Params{
			"id": core.GenerateDefaultRandomId(), "student": f.StudentA1, "source_lesson": id,
			"reason": "cancelled 240h ahead (policy: 24h)", "expires": dbDate(time.Now().AddDate(0, 2, 0)),
			"created": dbDate(time.Now()), "updated": dbDate(time.Now()),
		}
		if _, err := app.DB().Insert("makeup_credits", credit).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func removeLesson(t testing.TB, app core.App, id string) {
	t.Helper()
	for table, column := range map[string]string{"makeup_credits": "source_lesson", "lessons": "id"} {
		if _, err := app.DB().Delete(table, dbx.HashExp{column: id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
}

func dbDate(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// moveLessonBack shifts a lesson's times into the past behind the hooks'
// back (they refuse a scheduled lesson in the past).
func moveLessonBack(t testing.TB, app core.App, id string, by time.Duration) {
	t.Helper()
	l := testapp.Record(t, app, "lessons", id)
	_, err := app.DB().Update("lessons", dbx.Params{
		"start": dbDate(l.GetDateTime("start").Time().Add(-by)), "end": dbDate(l.GetDateTime("end").Time().Add(-by)),
	}, dbx.HashExp{"id": id}).Execute()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLessonLifecycleOtherPaths: the batch API, the /api/v1 routes and an
// attended lesson's time obey the same lifecycle.
func TestLessonLifecycleOtherPaths(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	app.Settings().Batch.Enabled = true // off in production; the guard must hold if an owner turns it on
	app.Settings().Batch.MaxRequests = 10
	srv := testapp.Serve(t, app)
	batch := func(token, id, body string) (int, string) {
		return lifecycleCall(t, srv.URL, http.MethodPost, "/api/batch", token,
			fmt.Sprintf(`{"requests":[{"method":"PATCH","url":"/api/collections/lessons/records/%s","body":%s}]}`, id, body))
	}
	status := func(id string) string { return testapp.Record(t, app, "lessons", id).GetString("status") }

	// Batch: a teacher cannot un-cancel; an admin reinstates.
	cancelled := insertLesson(t, app, f, "cancelled", lifecycleFuture())
	if code, body := batch(f.TeacherXUser.Token, cancelled, `{"status":"scheduled"}`); code != 400 ||
		!strings.Contains(body, `"status":403`) || !strings.Contains(body, "lesson_transition_not_allowed") || status(cancelled) != "cancelled" {
		t.Fatalf("teacher un-cancels by batch: %d %s, lesson %s", code, body, status(cancelled))
	}
	if code, body := batch(f.Admin.Token, cancelled, `{"status":"scheduled"}`); code != 200 || status(cancelled) != "scheduled" {
		t.Fatalf("admin reinstates by batch: %d %s", code, body)
	}
	removeLesson(t, app, cancelled)

	// Batch: a teacher cannot mark a lesson ahead of its start.
	ahead := insertLesson(t, app, f, "scheduled", lifecycleFuture())
	if code, body := batch(f.TeacherXUser.Token, ahead, `{"status":"completed"}`); code != 400 || !strings.Contains(body, "lesson_not_started") || status(ahead) != "scheduled" {
		t.Fatalf("teacher marks ahead by batch: %d %s", code, body)
	}
	removeLesson(t, app, ahead)

	// /api/v1 cancel: the family cancels ahead of the start, not after it.
	started := insertLesson(t, app, f, "scheduled", lifecyclePast())
	if code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/v1/lessons/"+started+"/cancel", f.ParentA.Token, ""); code != 400 ||
		!strings.Contains(body, `"status":{"code":"lesson_already_started"`) || status(started) != "scheduled" {
		t.Fatalf("family cancels a started lesson: %d %s", code, body)
	}
	if code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/v1/lessons/"+started+"/cancel", f.Admin.Token, ""); code != 200 || status(started) != "cancelled" {
		t.Fatalf("the office cancels a started lesson: %d %s", code, body)
	}
	removeLesson(t, app, started)
	if code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentA.Token, ""); code != 200 || status(f.LessonA1) != "cancelled" {
		t.Fatalf("family cancels ahead: %d %s", code, body)
	}

	// /api/v1 PATCH: a held lesson cannot be moved into the future.
	held := insertLesson(t, app, f, "completed", lifecyclePast())
	later := lifecycleFuture().Add(time.Hour).Format(time.RFC3339)
	if code, body := lifecycleCall(t, srv.URL, http.MethodPatch, "/api/v1/lessons/"+held, f.Admin.Token, `{"start":"`+later+`"}`); code != 400 ||
		!strings.Contains(body, `"status":{"code":"lesson_not_started"`) {
		t.Fatalf("admin moves a held lesson ahead: %d %s", code, body)
	}
	if got := testapp.Record(t, app, "lessons", held).GetDateTime("start").Time(); !got.Equal(lifecyclePast()) {
		t.Fatalf("refused move changed the start to %v", got)
	}
	// …nor through the record API as a superuser (the admin UI).
	if code, body := lifecycleCall(t, srv.URL, http.MethodPatch, "/api/collections/lessons/records/"+held, f.Superuser.Token,
		fmt.Sprintf(`{"start":%q,"end":%q}`, dbDate(lifecycleFuture()), dbDate(lifecycleFuture().Add(30*time.Minute)))); code != 400 {
		t.Fatalf("superuser moves a held lesson ahead: %d %s", code, body)
	}
}

// TestLessonReinstatement: the admin's reinstatement clears the
// cancellation, takes back the unspent credit with a reason the family can
// read, logs who did it, and gives the credit back if the lesson is
// cancelled again; a credit already spent refuses the reinstatement.
func TestLessonReinstatement(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	id := insertLesson(t, app, f, "cancelled", lifecycleFuture())

	code, body := lifecycleCall(t, srv.URL, http.MethodPatch, "/api/collections/lessons/records/"+id, f.Admin.Token, `{"status":"scheduled"}`)
	if code != 200 || !strings.Contains(body, `"cancelled_by":""`) || !strings.Contains(body, `"cancellation_note":""`) {
		t.Fatalf("reinstate: %d %s", code, body)
	}
	credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", id)
	if err != nil || credit.GetDateTime("revoked_at").IsZero() {
		t.Fatalf("credit after reinstatement: %v %v", credit, err)
	}
	code, body = lifecycleCall(t, srv.URL, http.MethodGet, "/api/collections/makeup_credits/records/"+credit.Id, f.ParentA.Token, "")
	if code != 200 || !strings.Contains(body, "taken back: the cancelled lesson was reinstated") {
		t.Fatalf("the family's view of the credit: %d %s", code, body)
	}
	actor := "users:" + f.Admin.ID
	for collection, record := range map[string]string{"lessons": id, "makeup_credits": credit.Id} {
		entries, err := app.FindAllRecords("audit_logs", dbx.HashExp{"collection": collection, "record": record, "action": "update", "actor": actor})
		if err != nil || len(entries) != 1 {
			t.Errorf("audit of the reinstatement on %s: %d entries by %s (%v)", collection, len(entries), actor, err)
		}
	}
	// A revoked credit cannot be spent.
	makeup := fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":%q,"end":%q,"kind":"makeup","status":"scheduled"}`,
		f.TeacherX, f.StudentA1, f.Piano, dbDate(lifecycleFuture().Add(time.Hour)), dbDate(lifecycleFuture().Add(90*time.Minute)))
	if code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/collections/lessons/records", f.Admin.Token, makeup); code != 409 || !strings.Contains(body, "no_makeup_credit") {
		t.Fatalf("make-up on a revoked credit: %d %s", code, body)
	}

	// Cancelled again (with notice): the same credit comes back, spendable.
	if code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/v1/lessons/"+id+"/cancel", f.ParentA.Token, ""); code != 200 {
		t.Fatalf("cancel again: %d %s", code, body)
	}
	credit = testapp.Record(t, app, "makeup_credits", credit.Id)
	if !credit.GetDateTime("revoked_at").IsZero() || credit.GetString("revoked_reason") != "" {
		t.Fatalf("credit not given back: %v", credit)
	}
	code, body = lifecycleCall(t, srv.URL, http.MethodPost, "/api/collections/lessons/records", f.Admin.Token, makeup)
	if code != 200 {
		t.Fatalf("make-up on the given-back credit: %d %s", code, body)
	}
	var booked struct{ ID string }
	_ = json.Unmarshal([]byte(body), &booked)

	// Now spent: the reinstatement is refused, naming the make-up lesson.
	code, body = lifecycleCall(t, srv.URL, http.MethodPatch, "/api/collections/lessons/records/"+id, f.Admin.Token, `{"status":"scheduled"}`)
	if code != 409 || !strings.Contains(body, `"status":{"code":"makeup_credit_spent"`) || !strings.Contains(body, booked.ID) {
		t.Fatalf("reinstate with a spent credit: %d %s", code, body)
	}
	if l := testapp.Record(t, app, "lessons", id); l.GetString("status") != "cancelled" || l.GetString("cancelled_by") != "family" {
		t.Fatalf("refused reinstatement changed the lesson: %v", l)
	}
}

// TestClosureCancelsWhatWasNotHeld: a closure over past and coming weeks
// cancels and lists every lesson it covers that was not held (scheduled
// ones, and ones marked attended ahead of their start by older code), as
// the admin who wrote it, and leaves the held ones alone.
func TestClosureCancelsWhatWasNotHeld(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	pastDone := insertLesson(t, app, f, "completed", lifecyclePast())
	pastMissed := insertLesson(t, app, f, "no_show", lifecyclePast().Add(time.Hour))
	pastOpen := insertLesson(t, app, f, "scheduled", lifecyclePast().Add(2*time.Hour))
	aheadDone := insertLesson(t, app, f, "completed", lifecycleFuture())
	aheadMissed := insertLesson(t, app, f, "no_show", lifecycleFuture().Add(time.Hour))

	srv := testapp.Serve(t, app)
	code, body := lifecycleCall(t, srv.URL, http.MethodPost, "/api/collections/closures/records", f.Admin.Token,
		fmt.Sprintf(`{"name":"Flood","start":%q,"end":%q}`, dbDate(lifecyclePast().Add(-24*time.Hour)), dbDate(lifecycleFuture().Add(24*time.Hour))))
	var closure struct {
		Cancelled []struct{ ID string } `json:"cancelled_lessons"`
	}
	if err := json.Unmarshal([]byte(body), &closure); code != 200 || err != nil {
		t.Fatalf("closure: %d %s", code, body)
	}
	listed := map[string]bool{}
	for _, l := range closure.Cancelled {
		listed[l.ID] = true
	}
	for id, wantCancelled := range map[string]bool{
		pastDone: false, pastMissed: false,
		pastOpen: true, aheadDone: true, aheadMissed: true, f.LessonA1: true, f.LessonB1: true,
	} {
		l := testapp.Record(t, app, "lessons", id)
		if (l.GetString("status") == "cancelled") != wantCancelled || listed[id] != wantCancelled {
			t.Errorf("lesson %s (%s): listed %v, want cancelled and listed %v", id, l.GetString("status"), listed[id], wantCancelled)
		}
		if wantCancelled {
			n, err := app.CountRecords("audit_logs", dbx.HashExp{"record": id, "action": "update", "actor": "users:" + f.Admin.ID})
			if err != nil || n != 1 {
				t.Errorf("lesson %s: %d audit entries by the admin (%v)", id, n, err)
			}
		}
	}
	if len(closure.Cancelled) != 5 {
		t.Errorf("closure lists %d lessons, want 5", len(closure.Cancelled))
	}
}
