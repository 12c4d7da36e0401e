package hooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// Ten make-up lessons for one student with one credit, booked at once in
// ten free slots (so only the credit can refuse them): one is booked and
// spends the credit, the others are 409 on kind. The credit lookup runs in
// the lesson guard's transaction (lessons/guard.go), which this proves,
// whether the office books or the family itself, half of the family's
// requests through /api/v1 and half through the record API.
func TestMakeupRaceSpendsOneCredit(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	for _, booker := range []testapp.Account{f.Admin, f.ParentA} {
		t.Run(booker.Email, func(t *testing.T) { makeupCreditRace(t, booker, booker == f.ParentA) })
	}
}

func makeupCreditRace(t *testing.T, booker testapp.Account, bothPaths bool) {
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
		if bothPaths && i%2 == 1 {
			return raceCall(t, http.MethodPost, srv.URL+"/api/collections/lessons/records", booker, map[string]any{
				"teacher": f.TeacherX, "student": f.StudentA1, "instrument": f.Piano, "kind": "makeup", "status": "scheduled",
				"start": slots[i].Format(time.RFC3339), "end": slots[i].Add(30 * time.Minute).Format(time.RFC3339),
			}, nil)
		}
		return raceCall(t, http.MethodPost, srv.URL+"/api/v1/lessons", booker, map[string]any{
			"teacher": f.TeacherX, "student": f.StudentA1, "start": slots[i].Format(time.RFC3339), "minutes": 30, "kind": "makeup",
		}, nil)
	})
	booked := ""
	for _, a := range answers {
		switch {
		case a.code == http.StatusCreated || a.code == http.StatusOK: // the record API answers a create with 200
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

// Two families, each with a make-up credit, book the same free slot of
// teacher Y at once, ten requests in all over both paths: one lesson is
// booked, one credit spent (the winner's), every other request is a 409
// naming the teacher. The calendar check and the credit run in the write's
// transaction, so the loser's credit stays whole.
func TestMakeupRaceOneSlotTwoFamilies(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	srv := testapp.Serve(t, app)
	credits, err := app.FindCollectionByNameOrId("makeup_credits")
	if err != nil {
		t.Fatal(err)
	}
	creditOf := map[string]string{}
	for student, source := range map[string]string{f.StudentA1: f.LessonA1, f.StudentB1: f.LessonB1} {
		c := core.NewRecord(credits)
		c.Load(map[string]any{"student": student, "source_lesson": source, "reason": "race", "expires": monday().AddDate(0, 2, 0)})
		if err := app.SaveNoValidate(c); err != nil {
			t.Fatal(err)
		}
		creditOf[student] = c.Id
	}

	// Wednesday 10:00 a week after the fixtures: teacher Y is free, and
	// teaches both A1's piano and B1's violin.
	slot := monday().AddDate(0, 0, 7).Add(42 * time.Hour)
	type family struct {
		parent              testapp.Account
		student, instrument string
	}
	families := []family{{f.ParentA, f.StudentA1, f.Piano}, {f.ParentB, f.StudentB1, f.Violin}}
	answers := race(t, raceRequests, func(i int) raceAnswer {
		fam := families[i%2]
		if i/2%2 == 1 {
			return raceCall(t, http.MethodPost, srv.URL+"/api/collections/lessons/records", fam.parent, map[string]any{
				"teacher": f.TeacherY, "student": fam.student, "instrument": fam.instrument, "kind": "makeup", "status": "scheduled",
				"start": slot.Format(time.RFC3339), "end": slot.Add(30 * time.Minute).Format(time.RFC3339),
			}, nil)
		}
		return raceCall(t, http.MethodPost, srv.URL+"/api/v1/lessons", fam.parent, map[string]any{
			"teacher": f.TeacherY, "student": fam.student, "start": slot.Format(time.RFC3339), "minutes": 30, "kind": "makeup",
		}, nil)
	})
	won := 0
	for _, a := range answers {
		switch {
		case a.code == http.StatusCreated || a.code == http.StatusOK:
			won++
		case a.code == http.StatusConflict && strings.Contains(a.raw, `"teacher":{"code":"teacher_busy"`):
		default:
			t.Errorf("a booking answered %d: %s", a.code, a.raw)
		}
	}
	booked, err := app.FindAllRecords("lessons", dbx.HashExp{"teacher": f.TeacherY, "kind": "makeup"})
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(booked) != 1 {
		t.Fatalf("%d bookings answered as made, %d make-up lessons stored; want one of each", won, len(booked))
	}
	winner := booked[0]
	for student, id := range creditOf {
		used := testapp.Record(t, app, "makeup_credits", id).GetString("used_by")
		if want := map[bool]string{true: winner.Id, false: ""}[student == winner.GetString("student")]; used != want {
			t.Errorf("student %s's credit is used by %q, want %q", student, used, want)
		}
	}
}
