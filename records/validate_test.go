package records_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/internal/testapp"
)

// TestValidateFieldErrors: each rule PocketBase's field options cannot
// express answers 400 naming its field, through the plain collection API.
func TestValidateFieldErrors(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	admin := map[string]string{"Authorization": f.Admin.Token}
	teacherX := map[string]string{"Authorization": f.TeacherXUser.Token}
	parentA := map[string]string{"Authorization": f.ParentA.Token}
	records := func(c string) string { return "/api/collections/" + c + "/records" }
	window := func(teacher string, weekday int, start, end string) string {
		return `{"teacher":"` + teacher + `","weekday":` + string(rune('0'+weekday)) + `,"start_time":"` + start + `","end_time":"` + end + `"}`
	}
	future := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")

	cases := []struct {
		name, method, url, body string
		headers                 map[string]string
		status                  int
		field, code             string // the named field and its code (400s)
		absent                  string // a field that must not be named
		also                    string // another field named in the same answer
	}{
		{"time off ends before it starts", "POST", records("time_off"),
			`{"teacher":"` + f.TeacherX + `","start":"2030-05-02 10:00:00Z","end":"2030-05-01 10:00:00Z"}`,
			teacherX, 400, "end", "validation_end_before_start", "start", ""},
		{"time off: own error joins PocketBase's", "POST", records("time_off"),
			`{"teacher":"` + f.TeacherX + `","start":"2030-05-02 10:00:00Z","end":"2030-05-01 10:00:00Z","reason":"` + strings.Repeat("x", 501) + `"}`,
			teacherX, 400, "reason", "validation_max_text_constraint", "", "end"},
		{"time off in order", "POST", records("time_off"),
			`{"teacher":"` + f.TeacherX + `","start":"2030-05-01 10:00:00Z","end":"2030-05-02 10:00:00Z"}`,
			teacherX, 200, "", "", "", ""},
		{"closure of zero length", "POST", records("closures"),
			`{"name":"Snow day","start":"2030-01-10 00:00:00Z","end":"2030-01-10 00:00:00Z"}`,
			admin, 400, "end", "validation_end_before_start", "", ""},
		{"lesson moved to end before it starts", "PATCH", records("lessons") + "/" + f.LessonA1,
			`{"end":"2000-01-01 00:00:00Z"}`, admin, 400, "end", "validation_end_before_start", "", ""},
		{"availability ends before it starts", "POST", records("availability"),
			window(f.TeacherX, 2, "15:00", "14:00"), teacherX, 400, "end_time", "validation_end_before_start", "", ""},
		{"availability valid_to before valid_from", "POST", records("availability"),
			`{"teacher":"` + f.TeacherX + `","weekday":2,"start_time":"10:00","end_time":"11:00","valid_from":"2030-06-01 00:00:00Z","valid_to":"2030-05-01 00:00:00Z"}`,
			teacherX, 400, "valid_to", "validation_valid_to_before_valid_from", "", ""},
		{"availability overlapping the teacher's own window", "POST", records("availability"),
			window(f.TeacherX, 1, "18:30", "20:00"), teacherX, 400, "start_time", "validation_availability_overlap", "", ""},
		{"availability touching it", "POST", records("availability"),
			window(f.TeacherX, 1, "19:00", "20:00"), teacherX, 200, "", "", "", ""},
		{"same hours, another teacher", "POST", records("availability"),
			window(f.TeacherY, 1, "15:00", "19:00"), admin, 200, "", "", "", ""},
		{"availability widened over itself", "PATCH", records("availability") + "/" + f.AvailabilityX,
			`{"start_time":"14:00","end_time":"20:00"}`, teacherX, 200, "", "", "", ""},
		{"student born tomorrow+1", "POST", records("students"),
			`{"parent":"` + f.ParentA.ID + `","first_name":"Fay","last_name":"Anders","birth_date":"` + future + `"}`,
			parentA, 400, "birth_date", "validation_date_in_future", "", ""},
		{"user time zone unknown", "PATCH", records("users") + "/" + f.ParentA.ID,
			`{"timezone":"Mars/Olympus_Mons"}`, parentA, 400, "timezone", "validation_invalid_timezone", "", ""},
		{"user time zone Local", "PATCH", records("users") + "/" + f.ParentA.ID,
			`{"timezone":"Local"}`, parentA, 400, "timezone", "validation_invalid_timezone", "", ""},
		{"user time zone valid", "PATCH", records("users") + "/" + f.ParentA.ID,
			`{"timezone":"America/Vancouver"}`, parentA, 200, "", "", "", ""},
		{"user time zone cleared", "PATCH", records("users") + "/" + f.ParentA.ID,
			`{"timezone":""}`, parentA, 200, "", "", "", ""},
		{"academy time zone unknown", "PATCH", records("academy") + "/{academy}",
			`{"timezone":"Nowhere/Land"}`, admin, 400, "timezone", "validation_invalid_timezone", "", ""},
	}
	// The refused writes take turns on one app (a refusal writes nothing,
	// and the shared app fails one that did); each accepted one gets its own.
	app, _ := testapp.New(t)
	academy, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		t.Fatal(err)
	}
	refused := testapp.NewShared(t, app)
	for _, c := range cases {
		s := tests.ApiScenario{
			Name: c.name, Method: c.method, URL: strings.ReplaceAll(c.url, "{academy}", academy.Id), Body: strings.NewReader(c.body),
			Headers: c.headers, ExpectedStatus: c.status, TestAppFactory: testapp.Factory,
		}
		if c.status == 400 {
			s.ExpectedContent = []string{`"` + c.field + `":{"code":"` + c.code + `"`}
			if c.also != "" {
				s.ExpectedContent = append(s.ExpectedContent, `"`+c.also+`":{"code":`)
			}
			if c.absent != "" {
				s.NotExpectedContent = []string{`"` + c.absent + `":{`}
			}
		} else {
			s.ExpectedContent = []string{`"id":`}
		}
		if c.status >= 400 {
			refused.Run(t, s)
			continue
		}
		s.Test(t)
	}
}

// TestValidateOverlapSeesTheTransaction: replacing a week deletes the old
// rows and inserts the new ones in one transaction; the overlap check runs
// inside it, so it sees the deletion and still catches overlaps among the
// new rows.
func TestValidateOverlapSeesTheTransaction(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	c, err := app.FindCollectionByNameOrId("availability")
	if err != nil {
		t.Fatal(err)
	}
	replace := func(windows ...[2]string) error {
		return app.RunInTransaction(func(tx core.App) error {
			old, err := tx.FindAllRecords("availability", dbx.HashExp{"teacher": f.TeacherX})
			if err != nil {
				return err
			}
			for _, r := range old {
				if err := tx.Delete(r); err != nil {
					return err
				}
			}
			for _, w := range windows {
				r := core.NewRecord(c)
				r.Load(map[string]any{"teacher": f.TeacherX, "weekday": 1, "start_time": w[0], "end_time": w[1]})
				if err := tx.Save(r); err != nil {
					return err
				}
			}
			return nil
		})
	}
	count := func() int {
		rows, err := app.FindAllRecords("availability", dbx.HashExp{"teacher": f.TeacherX})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}

	// 16:00–17:00 overlaps the stored 15:00–19:00, which the transaction deletes first.
	if err := replace([2]string{"16:00", "17:00"}, [2]string{"17:00", "18:00"}); err != nil {
		t.Fatalf("replacing the week: %v", err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d windows, want 2", n)
	}
	err = replace([2]string{"09:00", "12:00"}, [2]string{"11:00", "13:00"})
	if err == nil || !strings.Contains(err.Error(), "start_time") {
		t.Fatalf("overlap inside the new week: err = %v", err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d windows after the refused replace, want the 2 kept", n)
	}
}

// TestValidateGoCode: Go code gets the same checks as the API.
func TestValidateGoCode(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	lesson := testapp.Record(t, app, "lessons", f.LessonA1)
	lesson.Set("end", lesson.GetDateTime("start").Time().Add(-time.Minute))
	err := app.Save(lesson)
	if err == nil || !strings.Contains(err.Error(), "end") {
		t.Fatalf("err = %v", err)
	}
}
