package lessons

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/list"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/scheduling"
)

// calendar_profiles.go reads what a calendar needs besides its lessons —
// the teachers' profiles, weekly windows and time off, and the closures —
// in one statement of plain rows. The conflict check runs on every lesson
// write and check-conflicts request: four record queries cost it most of
// its time in parsing SQL and building records (at ten times the seed,
// over half of a check), not in reading rows.

// profileRow is one teacher with its windows, time off and the closures as
// JSON arrays (json_group_array), the columns as stored.
type profileRow struct {
	ID          string `db:"id"`
	Instruments string `db:"instruments"`
	Lengths     string `db:"lesson_lengths"`
	Windows     string `db:"windows"`
	TimeOff     string `db:"time_off"`
	Closures    string `db:"closures"`
}

// loadProfiles returns each existing teacher of ids and the closures. With
// a span, only the time off and closures that overlap [from, to) (stored
// date strings) are read; without one (from and to empty), all of them.
func loadProfiles(app core.App, ids []string, from, to string) (map[string]scheduling.Teacher, []scheduling.Interval, error) {
	params := dbx.Params{"from": from, "to": to}
	holders := make([]string, len(ids))
	for i, id := range ids {
		name := fmt.Sprintf("t%d", i)
		holders[i] = "{:" + name + "}"
		params[name] = id
	}
	overlaps := func(alias string) string {
		if from == "" && to == "" {
			return ""
		}
		return " AND " + alias + ".[[start]] < {:to} AND " + alias + ".[[end]] > {:from}"
	}
	// The windows' subquery walks idx_availability_teacher_weekday and the
	// time off's idx_time_off_teacher_start, in the order the record queries
	// answered; the closures' does not depend on the teacher and SQLite
	// runs it once.
	sql := "SELECT t.[[id]] AS id, t.[[instruments]] AS instruments, t.[[lesson_lengths]] AS lesson_lengths," +
		" (SELECT json_group_array(json_array(a.[[weekday]], a.[[start_time]], a.[[end_time]], a.[[valid_from]], a.[[valid_to]]))" +
		" FROM {{availability}} a WHERE a.[[teacher]] = t.[[id]]) AS windows," +
		" (SELECT json_group_array(json_array(o.[[start]], o.[[end]])) FROM {{time_off}} o WHERE o.[[teacher]] = t.[[id]]" + overlaps("o") + ") AS time_off," +
		" (SELECT json_group_array(json_array(c.[[start]], c.[[end]])) FROM {{closures}} c WHERE 1 = 1" + overlaps("c") + ") AS closures" +
		" FROM {{teachers}} t WHERE t.[[id]] IN (" + strings.Join(holders, ", ") + ")"
	var rows []profileRow
	if err := queryAll(app, sql, params, &rows, len(ids) <= maxKeptTeachers); err != nil {
		return nil, nil, err
	}
	out := make(map[string]scheduling.Teacher, len(rows))
	var closures []scheduling.Interval
	for i, r := range rows {
		p := scheduling.Teacher{ID: r.ID, Instruments: list.ToUniqueStringSlice(r.Instruments), Lengths: lengths(list.ToUniqueStringSlice(r.Lengths))}
		var windows [][5]any
		if err := json.Unmarshal([]byte(r.Windows), &windows); err != nil {
			return nil, nil, fmt.Errorf("teacher %s: windows: %w", r.ID, err)
		}
		for _, w := range windows {
			p.Availability = append(p.Availability, weeklyWindowOf(w))
		}
		var err error
		if p.TimeOff, err = spans(r.TimeOff); err != nil {
			return nil, nil, fmt.Errorf("teacher %s: time off: %w", r.ID, err)
		}
		if i == 0 {
			if closures, err = spans(r.Closures); err != nil {
				return nil, nil, fmt.Errorf("closures: %w", err)
			}
		}
		out[r.ID] = p
	}
	return out, closures, nil
}

// weeklyWindowOf reads an availability row as json_array gave it:
// weekday, start_time, end_time, valid_from, valid_to.
func weeklyWindowOf(w [5]any) scheduling.WeeklyWindow {
	weekday, _ := w[0].(float64)
	start, _ := scheduling.ParseClock(jsonString(w[1]))
	end, _ := scheduling.ParseClock(jsonString(w[2]))
	return scheduling.WeeklyWindow{
		Weekday:   time.Weekday(int(weekday)),
		Start:     start,
		End:       end,
		ValidFrom: storedTime(jsonString(w[3])),
		ValidTo:   storedTime(jsonString(w[4])),
	}
}

// spans reads a JSON array of [start, end] pairs of stored dates.
func spans(raw string) ([]scheduling.Interval, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	out := make([]scheduling.Interval, len(pairs))
	for i, p := range pairs {
		out[i] = scheduling.Interval{Start: storedTime(p[0]), End: storedTime(p[1])}
	}
	return out, nil
}

func jsonString(v any) string {
	s, _ := v.(string)
	return s
}

// storedTime reads a date as PocketBase stores it (zero when empty or
// unreadable, as Record.GetDateTime reads it).
func storedTime(s string) time.Time {
	t, _ := types.ParseDateTime(s)
	return t.Time()
}
