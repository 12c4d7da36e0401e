package offers

import (
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/academy"
	"cedarheights/lessons"
)

// candidates.go: who is offered a freed slot. Every candidate is checked
// with the lesson guard's own rules (lessons.CheckLesson) on the booking it
// would make, so nobody is offered a slot the guard would refuse them
// today: the teacher free and teaching the instrument, no closure or time
// off, the student free.

// slot is the freed lesson's time with its teacher and instrument.
type slot struct {
	Lesson, Student            string // the cancelled lesson and its student (never offered its own slot)
	Teacher, TeacherName       string
	TeacherEmail               string
	Instrument, InstrumentName string
	Start, End                 time.Time
	Zone                       *time.Location
	Academy                    string
	Notice                     time.Duration // the academy's notice for a family's move
}

func (sl slot) minutes() time.Duration { return sl.End.Sub(sl.Start) }

// candidate is one student (and its family) to offer the slot to.
type candidate struct {
	Student, StudentName string
	Family, FamilyName   string
	FamilyEmail          string
	Kind                 string // makeup or move
	Moves                string // the lesson a move acceptance moves
	MovesStart           time.Time
}

// maxPerRound bounds the mails one freed slot sends in a round.
const maxPerRound = 50

// maxScanned bounds the rows a round looks at.
const maxScanned = 500

// loadSlot reads the freed lesson; problem says why it is no longer
// offered (reinstated, deleted, too late).
func loadSlot(app core.App, lessonID string, closes time.Time) (sl slot, problem string, err error) {
	lesson, err := app.FindRecordById("lessons", lessonID)
	if errors.Is(err, sql.ErrNoRows) {
		return sl, "the lesson no longer exists", nil
	}
	if err != nil {
		return sl, "", err
	}
	if errs := app.ExpandRecord(lesson, []string{"teacher.user", "instrument"}, nil); len(errs) > 0 {
		return sl, "", errors.Join(mapErrs(errs)...)
	}
	settings, err := academy.Load(app)
	if err != nil {
		return sl, "", err
	}
	sl = slot{
		Lesson: lesson.Id, Student: lesson.GetString("student"),
		Teacher: lesson.GetString("teacher"), Instrument: lesson.GetString("instrument"),
		Start: lesson.GetDateTime("start").Time(), End: lesson.GetDateTime("end").Time(),
		Zone: settings.Zone, Academy: settings.Name, Notice: settings.CancellationNotice,
	}
	if t := lesson.ExpandedOne("teacher"); t != nil {
		sl.TeacherName = t.GetString("display_name")
		if u := t.ExpandedOne("user"); u != nil {
			sl.TeacherEmail = u.Email()
		}
	}
	if i := lesson.ExpandedOne("instrument"); i != nil {
		sl.InstrumentName = i.GetString("name")
	}
	switch {
	case lesson.GetString("status") != "cancelled":
		return sl, "the lesson is " + lesson.GetString("status") + " again", nil
	case !time.Now().Before(closes):
		return sl, "the offer window has passed", nil
	}
	return sl, "", nil
}

func mapErrs(m map[string]error) []error {
	out := make([]error, 0, len(m))
	for _, err := range m {
		out = append(out, err)
	}
	return out
}

// candidateRow is a candidate as the queries read it.
type candidateRow struct {
	Student     string `db:"student"`
	StudentName string `db:"student_name"`
	Family      string `db:"family"`
	FamilyName  string `db:"family_name"`
	Email       string `db:"email"`
	Moves       string `db:"moves"`
	MovesStart  string `db:"moves_start"`
	MovesEnd    string `db:"moves_end"`
}

// playsInstrument: the student's instruments (a JSON array of ids) hold
// the slot's instrument.
const playsInstrument = `EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(s.instruments) THEN s.instruments ELSE '[]' END) j WHERE j.value = {:instrument})`

// makeupCandidates are the students with an open make-up credit still
// valid when the slot starts, who play its instrument, are active and free
// then: the credit that expires first comes first, one offer per family.
func makeupCandidates(app core.App, sl slot, skipFamilies map[string]bool) ([]candidate, error) {
	rows := []candidateRow{}
	err := app.DB().NewQuery(`SELECT s.id AS student, s.first_name AS student_name, u.id AS family,
			u.name AS family_name, u.email AS email, '' AS moves, '' AS moves_start, '' AS moves_end
		FROM makeup_credits c
		JOIN students s ON s.id = c.student
		JOIN users u ON u.id = s.parent
		WHERE c.used_by = '' AND c.revoked_at = '' AND c.expires > {:start}
			AND s.status = 'active' AND s.deleted = '' AND s.id != {:freed} AND ` + playsInstrument + `
		GROUP BY s.id
		ORDER BY MIN(c.expires), s.id
		LIMIT {:limit}`).
		Bind(dbx.Params{"start": dbTime(sl.Start), "freed": sl.Student, "instrument": sl.Instrument, "limit": maxScanned}).
		All(&rows)
	if err != nil {
		return nil, err
	}
	return fitting(app, sl, rows, "makeup", skipFamilies)
}

// moveCandidates are the students whose family asked for another weekly
// time and who have a scheduled lesson with this teacher, on this
// instrument and of this length, far enough ahead that the family may
// still move it when the offer closes; the earliest such lesson is the one
// that moves. One offer per family, families already offered left out.
func moveCandidates(app core.App, sl slot, closes time.Time, skipFamilies map[string]bool) ([]candidate, error) {
	rows := []candidateRow{}
	err := app.DB().NewQuery(`SELECT s.id AS student, s.first_name AS student_name, u.id AS family,
			u.name AS family_name, u.email AS email, l.id AS moves, l.start AS moves_start, l.end AS moves_end
		FROM students s
		JOIN users u ON u.id = s.parent
		JOIN lessons l ON l.student = s.id
		WHERE s.wants_other_time = TRUE AND s.status = 'active' AND s.deleted = '' AND s.id != {:freed}
			AND l.teacher = {:teacher} AND l.instrument = {:instrument} AND l.status = 'scheduled'
			AND l.start >= {:movable} AND l.id != {:lesson}
		ORDER BY l.start, s.id
		LIMIT {:limit}`).
		Bind(dbx.Params{"freed": sl.Student, "teacher": sl.Teacher, "instrument": sl.Instrument,
			"movable": dbTime(closes.Add(sl.Notice)), "lesson": sl.Lesson, "limit": maxScanned}).
		All(&rows)
	if err != nil {
		return nil, err
	}
	first := rows[:0]
	seen := map[string]bool{}
	for _, r := range rows {
		length := parseDBTime(r.MovesEnd).Sub(parseDBTime(r.MovesStart))
		if seen[r.Student] || length != sl.minutes() {
			continue
		}
		seen[r.Student] = true
		first = append(first, r)
	}
	return fitting(app, sl, first, "move", skipFamilies)
}

// fitting keeps the rows whose booking the guard would accept now, one per
// family, at most maxPerRound.
func fitting(app core.App, sl slot, rows []candidateRow, kind string, skipFamilies map[string]bool) ([]candidate, error) {
	lessonsCol, err := app.FindCachedCollectionByNameOrId("lessons")
	if err != nil {
		return nil, err
	}
	var out []candidate
	families := map[string]bool{}
	for _, r := range rows {
		if len(out) == maxPerRound {
			break
		}
		if families[r.Family] || skipFamilies[r.Family] || r.Email == "" {
			continue
		}
		probe := core.NewRecord(lessonsCol)
		if kind == "move" {
			moving, err := app.FindRecordById("lessons", r.Moves)
			if err != nil {
				continue
			}
			probe = moving // checked as moved: its own old time is ignored
		} else {
			probe.Load(map[string]any{"teacher": sl.Teacher, "student": r.Student, "instrument": sl.Instrument,
				"kind": "makeup", "status": "scheduled"})
		}
		probe.Set("start", sl.Start)
		probe.Set("end", sl.End)
		conflicts, err := lessons.CheckLesson(app, probe)
		if err != nil {
			return nil, err
		}
		if len(conflicts) > 0 {
			continue
		}
		families[r.Family] = true
		out = append(out, candidate{
			Student: r.Student, StudentName: r.StudentName, Family: r.Family, FamilyName: r.FamilyName,
			FamilyEmail: r.Email, Kind: kind, Moves: r.Moves, MovesStart: parseDBTime(r.MovesStart),
		})
	}
	return out, nil
}

// dbTime formats t as PocketBase stores dates.
func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// parseDBTime reads a date as PocketBase stores it (zero when empty).
func parseDBTime(s string) time.Time {
	d, _ := types.ParseDateTime(s)
	return d.Time()
}
