package hooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/internal/testapp"
)

// Ten make-up lessons for one student with one credit, booked at once in
// ten free slots (so only the credit can refuse them): one is booked and
// spends the credit, the others are 409 on kind. The credit lookup runs in
// the lesson guard's transaction (lessons/guard.go), which this proves.
func TestMakeupRaceSpendsOneCredit(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)

	// The family cancels with notice: one credit.
	if a := raceCall(t, http.MethodPost, srv.URL+"/api/v1/lessons/"+f.LessonA1+"/cancel", f.ParentA, map[string]any{}, nil); a.code != http.StatusOK {
		t.Fatalf("cancel: %d %s", a.code, a.raw)
	}
	credits, err := app.FindAllRecords("makeup_credits", dbx.HashExp{"student": f.StudentA1})
	if err != nil || len(credits) != 1 {
		t.Fatalf("%d credits (%v)", len(credits), err)
	}

	// Teacher X teaches Mondays 15:00–19:00: weeks 1 to 3, on the hour,
	// are free and clear of each other's buffers.
	var slots []time.Time
	for week := 1; week <= 3; week++ {
		for hour := -1; hour <= 2; hour++ {
			slots = append(slots, monday().AddDate(0, 0, 7*week).Add(time.Duration(hour)*time.Hour))
		}
	}
	slots = slots[:raceRequests]

	answers := race(t, len(slots), func(i int) raceAnswer {
		return raceCall(t, http.MethodPost, srv.URL+"/api/v1/lessons", f.Admin, map[string]any{
			"teacher": f.TeacherX, "student": f.StudentA1, "start": slots[i].Format(time.RFC3339), "minutes": 30, "kind": "makeup",
		}, nil)
	})
	booked := ""
	for _, a := range answers {
		switch {
		case a.code == http.StatusCreated:
			if booked != "" {
				t.Errorf("a second make-up lesson was booked: %s", a.raw)
			}
			booked, _ = a.body["id"].(string)
		case a.code == http.StatusConflict && strings.Contains(a.raw, `"kind":{"code":"no_makeup_credit"`):
		default:
			t.Errorf("a make-up booking answered %d: %s", a.code, a.raw)
		}
	}
	if booked == "" {
		t.Fatal("no make-up lesson was booked")
	}
	makeups, err := app.FindAllRecords("lessons", dbx.HashExp{"student": f.StudentA1, "kind": "makeup"})
	if err != nil || len(makeups) != 1 || makeups[0].Id != booked {
		t.Errorf("%d make-up lessons stored (%v), want only %s", len(makeups), err, booked)
	}
	if got := testapp.Record(t, app, "makeup_credits", credits[0].Id).GetString("used_by"); got != booked {
		t.Errorf("the credit is used by %q, want %s", got, booked)
	}
}
