package lessons_test

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/internal/testapp"
	"cedarheights/lessons"
	"cedarheights/scheduling"
)

// TestCalendarProfilesMatchRecords: the calendars' profiles, windows, time
// off and closures, read in one statement of plain rows, are what reading
// each collection's records gives (the way LoadCalendars read them before),
// for spans that take in some time off and closures and leave others out,
// several teachers at once, dated windows and an unknown teacher.
func TestCalendarProfilesMatchRecords(t *testing.T) {
	t.Parallel()
	app, f := testapp.New(t)
	settings, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	week := testapp.NextMonday()
	add := func(collection string, data map[string]any) {
		t.Helper()
		c, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			t.Fatal(err)
		}
		r := core.NewRecord(c)
		r.Load(data)
		if err := app.SaveNoValidate(r); err != nil {
			t.Fatal(err)
		}
	}
	add("availability", map[string]any{"teacher": f.TeacherX, "weekday": 4, "start_time": "09:30", "end_time": "12:00",
		"valid_from": week.AddDate(0, 0, 10), "valid_to": week.AddDate(0, 2, 0)})
	add("availability", map[string]any{"teacher": f.TeacherX, "weekday": 0, "start_time": "08:00", "end_time": "09:00"})
	add("time_off", map[string]any{"teacher": f.TeacherX, "start": week.AddDate(0, 0, 2), "end": week.AddDate(0, 0, 3), "reason": "Dentist"})
	add("closures", map[string]any{"name": "Staff day", "start": week.AddDate(0, 0, 4), "end": week.AddDate(0, 0, 5)})

	for _, tc := range []struct {
		name     string
		teachers []string
		from, to time.Time
	}{
		{"one teacher, a week", []string{f.TeacherX}, week, week.AddDate(0, 0, 7)},
		{"two teachers, four months", []string{f.TeacherX, f.TeacherY}, week, week.AddDate(0, 4, 0)},
		{"nothing but windows", []string{f.TeacherY, f.TeacherX}, week.AddDate(1, 0, 0), week.AddDate(1, 0, 1)},
		{"an unknown teacher", []string{"nosuchteacher00", f.TeacherY}, week, week.AddDate(0, 3, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope := lessons.CalendarScope{Teachers: tc.teachers, Span: scheduling.Interval{Start: tc.from, End: tc.to}}
			cals, err := lessons.LoadCalendars(app, settings, scope)
			if err != nil {
				t.Fatal(err)
			}
			from, to := tc.from.Add(-settings.Buffer), tc.to.Add(settings.Buffer)
			want, closures := profilesFromRecords(t, app, tc.teachers, &from, &to)
			if len(cals) != len(want) {
				t.Fatalf("%d calendars, want %d", len(cals), len(want))
			}
			for id, w := range want {
				got := cals[id]
				if !reflect.DeepEqual(got.Teacher, w) {
					t.Errorf("teacher %s:\n got %+v\nwant %+v", id, got.Teacher, w)
				}
				if !sameSpans(got.Closures, closures) {
					t.Errorf("closures %v, want %v", got.Closures, closures)
				}
			}
			// Without a span (what the free-time cache keeps): every time off.
			all, err := lessons.LoadTeachers(app, tc.teachers)
			if err != nil {
				t.Fatal(err)
			}
			wantAll, _ := profilesFromRecords(t, app, tc.teachers, nil, nil)
			if !reflect.DeepEqual(all, wantAll) {
				t.Errorf("LoadTeachers:\n got %+v\nwant %+v", all, wantAll)
			}
		})
	}
}

// profilesFromRecords reads the teachers' profiles from their records, the
// reference: time off and closures overlapping [from, to) when given.
func profilesFromRecords(t *testing.T, app core.App, ids []string, from, to *time.Time) (map[string]scheduling.Teacher, []scheduling.Interval) {
	t.Helper()
	teachers, err := app.FindRecordsByIds("teachers", ids)
	if err != nil {
		t.Fatal(err)
	}
	overlap := func(r *core.Record) bool {
		return from == nil || (r.GetDateTime("start").Time().Before(*to) && r.GetDateTime("end").Time().After(*from))
	}
	span := func(r *core.Record) scheduling.Interval {
		return scheduling.Interval{Start: r.GetDateTime("start").Time(), End: r.GetDateTime("end").Time()}
	}
	out := map[string]scheduling.Teacher{}
	for _, tr := range teachers {
		p := scheduling.Teacher{ID: tr.Id, Instruments: tr.GetStringSlice("instruments")}
		for _, s := range tr.GetStringSlice("lesson_lengths") {
			n, _ := strconv.Atoi(s)
			p.Lengths = append(p.Lengths, n)
		}
		slices.Sort(p.Lengths)
		windows, err := app.FindAllRecords("availability", dbx.HashExp{"teacher": tr.Id})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortStableFunc(windows, func(a, b *core.Record) int {
			if d := a.GetInt("weekday") - b.GetInt("weekday"); d != 0 {
				return d
			}
			return strings.Compare(a.GetString("start_time"), b.GetString("start_time"))
		})
		for _, w := range windows {
			start, _ := scheduling.ParseClock(w.GetString("start_time"))
			end, _ := scheduling.ParseClock(w.GetString("end_time"))
			p.Availability = append(p.Availability, scheduling.WeeklyWindow{Weekday: time.Weekday(w.GetInt("weekday")), Start: start, End: end,
				ValidFrom: w.GetDateTime("valid_from").Time(), ValidTo: w.GetDateTime("valid_to").Time()})
		}
		off, err := app.FindRecordsByFilter("time_off", "teacher = {:t}", "start", 0, 0, dbx.Params{"t": tr.Id})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range off {
			if overlap(o) {
				p.TimeOff = append(p.TimeOff, span(o))
			}
		}
		out[tr.Id] = p
	}
	rows, err := app.FindRecordsByFilter("closures", "", "start", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var closures []scheduling.Interval
	for _, c := range rows {
		if overlap(c) {
			closures = append(closures, span(c))
		}
	}
	return out, closures
}

func sameSpans(a, b []scheduling.Interval) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
