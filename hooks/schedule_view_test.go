package hooks_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

// TestWeekViewKeptAnswerFollowsEveryWrite checks the admin's week view,
// whose answer is kept per free-time counter value, against teacher X's
// own view of the same week (its rule reads rows per request, so it is
// derived afresh every time) after writes by each path a lesson changes
// by: a Go save, raw SQL no hook sees, and a transaction that rolls back.
func TestWeekViewKeptAnswerFollowsEveryWrite(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	srv := testapp.Serve(t, app)
	week := "/api/v1/lessons/schedule/view?view=week&date=" + testapp.NextMonday().Format(time.DateOnly) + "&teacher=" + f.TeacherX
	get := func(token, path string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return string(b)
	}
	same := func(step string, want ...string) {
		t.Helper()
		kept, fresh := get(f.Admin.Token, week), get(f.TeacherXUser.Token, week)
		if kept != fresh {
			t.Fatalf("%s: the admin's week view answers\n%s\nteacher X's own\n%s", step, kept, fresh)
		}
		if again := get(f.Admin.Token, week); again != kept {
			t.Fatalf("%s: asked twice, the admin's week view changed:\n%s\n%s", step, kept, again)
		}
		for _, w := range want {
			if !strings.Contains(kept, w) {
				t.Fatalf("%s: %s missing from %s", step, w, kept)
			}
		}
	}
	same("fixtures", f.LessonA1, "Practise scales")

	lessons, err := app.FindCollectionByNameOrId("lessons")
	if err != nil {
		t.Fatal(err)
	}
	start := testapp.NextMonday().Add(time.Hour)
	l := core.NewRecord(lessons)
	l.Load(map[string]any{"teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "start": start,
		"end": start.Add(30 * time.Minute), "kind": "regular", "status": "scheduled"})
	if err := app.Save(l); err != nil {
		t.Fatal(err)
	}
	same("a lesson saved", l.Id)

	if _, err := app.DB().Update("lessons", dbx.Params{"teacher_notes": "Bring the Czerny"}, dbx.HashExp{"id": f.LessonA1}).Execute(); err != nil {
		t.Fatal(err)
	}
	same("notes changed by raw SQL", "Bring the Czerny")

	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().Update("lessons", dbx.Params{"teacher_notes": "never committed"}, dbx.HashExp{"id": f.LessonA1}).Execute(); err != nil {
			return err
		}
		// The admin reads while the write is pending (outside it).
		if kept := get(f.Admin.Token, week); strings.Contains(kept, "never committed") {
			t.Errorf("an uncommitted write is in the answer: %s", kept)
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	same("a write rolled back", "Bring the Czerny")

	if err := app.Delete(l); err != nil {
		t.Fatal(err)
	}
	same("a lesson deleted")
	if kept := get(f.Admin.Token, week); strings.Contains(kept, l.Id) {
		t.Fatalf("the deleted lesson is still in the answer: %s", kept)
	}
}

var errRollback = errorString("roll back")

type errorString string

func (e errorString) Error() string { return string(e) }
