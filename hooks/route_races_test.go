package hooks_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// Races on the /api/v1 routes that change one record: every request is sent
// at once, so each route must re-read the record in the transaction that
// writes and decide on that copy. A decision taken on the copy read before
// the transaction lets a late request write a stale status back (a moved
// lesson is un-cancelled, an edited student un-deleted) or repeat a change
// that already happened.

// routeRace is one scenario: raceRequests requests sent at once (send gets
// the request's index), then check on the answers and what was stored; on a
// fresh app each of rounds times (at least once). A stale write shows only
// when a request read before another committed and wrote after it, which a
// few rounds make near certain.
type routeRace struct {
	name   string
	rounds int
	send   func(t *testing.T, url string, f *testapp.Fixtures, i int) raceAnswer
	check  func(t *testing.T, app *tests.TestApp, f *testapp.Fixtures, answers []raceAnswer)
}

func TestRouteRaces(t *testing.T) {
	t.Parallel()
	cancelA1 := func(t *testing.T, url string, f *testapp.Fixtures) raceAnswer {
		return raceCall(t, http.MethodPost, url+"/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentA, map[string]any{}, nil)
	}
	deleteA1 := func(t *testing.T, url string, who testapp.Account, f *testapp.Fixtures) raceAnswer {
		return raceCall(t, http.MethodDelete, url+"/api/v1/students/"+f.StudentA1, who, nil, nil)
	}
	for _, tc := range []routeRace{
		{
			name:   "ten cancels of one lesson: one wins, one credit",
			rounds: 3,
			send: func(t *testing.T, url string, f *testapp.Fixtures, i int) raceAnswer {
				// The family and the office at once (the office passing on
				// the family's call): the lessons UpdateRule looks at the
				// status for the family only.
				if i%2 == 0 {
					return cancelA1(t, url, f)
				}
				return raceCall(t, http.MethodPost, url+"/api/v1/lessons/"+f.LessonA1+"/cancel", f.Admin, map[string]any{"cancelled_by": "family"}, nil)
			},
			check: func(t *testing.T, app *tests.TestApp, f *testapp.Fixtures, answers []raceAnswer) {
				won := 0
				for _, a := range answers {
					switch {
					case a.code == http.StatusOK:
						won++
					case a.code == http.StatusBadRequest && strings.Contains(a.raw, `"status":{"code":"validation_not_scheduled"`):
					default:
						t.Errorf("a cancel answered %d: %s", a.code, a.raw)
					}
				}
				if won != 1 {
					t.Errorf("%d cancels succeeded, want 1", won)
				}
				checkCancelledOnce(t, app, f)
				if n := auditedUpdates(t, app, "lessons", f.LessonA1); n != 1 {
					t.Errorf("%d lesson updates audited, want 1", n)
				}
			},
		},
		{
			name:   "one cancel against nine moves: the lesson stays cancelled",
			rounds: 5,
			send: func(t *testing.T, url string, f *testapp.Fixtures, i int) raceAnswer {
				if i == 0 {
					return cancelA1(t, url, f)
				}
				return raceCall(t, http.MethodPatch, url+"/api/v1/lessons/"+f.LessonA1, f.Admin, map[string]any{"start": at(time.Hour)}, nil)
			},
			check: func(t *testing.T, app *tests.TestApp, f *testapp.Fixtures, answers []raceAnswer) {
				for i, a := range answers {
					if a.code != http.StatusOK {
						t.Errorf("request %d answered %d: %s", i, a.code, a.raw)
					}
				}
				checkCancelledOnce(t, app, f)
				if got := testapp.Record(t, app, "lessons", f.LessonA1).GetDateTime("start").Time(); !got.Equal(monday().Add(time.Hour)) {
					t.Errorf("the lesson starts at %s, want the move's %s", got, monday().Add(time.Hour))
				}
			},
		},
		{
			name: "ten soft deletes of one student: all 204, one change",
			send: func(t *testing.T, url string, f *testapp.Fixtures, i int) raceAnswer {
				// The office and the family at once: the family's rule
				// admits only a student not yet deleted.
				if i%2 == 0 {
					return deleteA1(t, url, f.Admin, f)
				}
				return deleteA1(t, url, f.ParentA, f)
			},
			check: func(t *testing.T, app *tests.TestApp, f *testapp.Fixtures, answers []raceAnswer) {
				for i, a := range answers {
					// A family that reads the student only after the delete
					// no longer sees it: 404, as for any deleted student.
					if a.code != http.StatusNoContent && (i%2 == 0 || a.code != http.StatusNotFound) {
						t.Errorf("delete %d answered %d: %s", i, a.code, a.raw)
					}
				}
				if testapp.Record(t, app, "students", f.StudentA1).GetDateTime("deleted").IsZero() {
					t.Error("the student is not deleted")
				}
				if n := auditedUpdates(t, app, "students", f.StudentA1); n != 1 {
					t.Errorf("%d student updates audited, want 1", n)
				}
			},
		},
		{
			name:   "one soft delete against nine updates: the student stays deleted",
			rounds: 5,
			send: func(t *testing.T, url string, f *testapp.Fixtures, i int) raceAnswer {
				if i == 0 {
					return deleteA1(t, url, f.Admin, f)
				}
				return raceCall(t, http.MethodPatch, url+"/api/v1/students/"+f.StudentA1, f.Admin, map[string]any{"notes": fmt.Sprint("note ", i)}, nil)
			},
			check: func(t *testing.T, app *tests.TestApp, f *testapp.Fixtures, answers []raceAnswer) {
				for i, a := range answers {
					if want := map[bool]int{true: http.StatusNoContent, false: http.StatusOK}[i == 0]; a.code != want {
						t.Errorf("request %d answered %d, want %d: %s", i, a.code, want, a.raw)
					}
				}
				s := testapp.Record(t, app, "students", f.StudentA1)
				if s.GetDateTime("deleted").IsZero() {
					t.Error("an update written after the soft delete undeleted the student")
				}
				if !strings.HasPrefix(s.GetString("notes"), "note ") {
					t.Errorf("notes %q: no update was kept", s.GetString("notes"))
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < max(tc.rounds, 1) && !t.Failed(); round++ {
				app, f := testapp.New(t)
				srv := testapp.Serve(t, app)
				answers := race(t, raceRequests, func(i int) raceAnswer { return tc.send(t, srv.URL, f, i) })
				tc.check(t, app, f, answers)
			}
		})
	}
}

// checkCancelledOnce: lesson A1 is cancelled by the family, with its one
// make-up credit granted and not taken back.
func checkCancelledOnce(t *testing.T, app *tests.TestApp, f *testapp.Fixtures) {
	t.Helper()
	l := testapp.Record(t, app, "lessons", f.LessonA1)
	if l.GetString("status") != "cancelled" || l.GetString("cancelled_by") != "family" || !strings.HasPrefix(l.GetString("cancellation_note"), "make-up credit") {
		t.Errorf("lesson A1 is %q by %q (%q), want cancelled by the family with a credit",
			l.GetString("status"), l.GetString("cancelled_by"), l.GetString("cancellation_note"))
	}
	credits, err := app.FindAllRecords("makeup_credits", dbx.HashExp{"source_lesson": f.LessonA1})
	if err != nil {
		t.Fatal(err)
	}
	if len(credits) != 1 || !credits[0].GetDateTime("revoked_at").IsZero() {
		t.Errorf("%d credits for lesson A1 (want 1, not taken back)", len(credits))
	}
}

// auditedUpdates counts the update entries the audit log holds for one record.
func auditedUpdates(t *testing.T, app *tests.TestApp, collection, id string) int {
	t.Helper()
	entries, err := app.FindAllRecords("audit_logs", dbx.HashExp{"collection": collection, "record": id, "action": "update"})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
