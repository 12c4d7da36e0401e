package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/bench/internal/served"
)

// academy.go reads what the simulated users need from the loaded data dir
// before the server starts (in process, then closed): who they are, their
// tokens (minted here: 100 password logins would cost ~8 s of bcrypt and
// are not what a soak measures), their students and lessons.

// person is a simulated user's identity.
type person struct {
	ID, Email, Token string
}

type student struct {
	ID, Parent, Instrument string
}

type lesson struct {
	ID, Teacher, Student, Instrument string
	Start, End                       time.Time
}

type teacher struct {
	person
	Profile string   // the teachers record
	Lessons []lesson // past ones, for attendance notes
}

type parent struct {
	person
	Students []student
}

// cast is everyone the soak plays, and the lessons the office works on.
type cast struct {
	Admin, Superuser person
	Parents          []parent
	Teachers         []teacher
	Anonymous        int
	Instruments      []string
	Plan             string // a public plan enrollments choose
	// FamilyLessons are future lessons of the simulated families' students
	// (the office cancels them, which gives those families make-up
	// credits); OtherLessons are future lessons of other students (the
	// office moves them).
	FamilyLessons, OtherLessons []lesson
}

// users is how many of each kind play; 100 in all with the anonymous
// visitors and the admin (the superuser is the office's automation, which
// starts workflow runs).
type users struct {
	Parents, Teachers, Anonymous int
}

func readCast(dir string, u users, seed uint64) (*cast, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return nil, fmt.Errorf("open the data dir: %w", err)
	}
	defer app.ResetBootstrapState()
	rng := rand.New(rand.NewPCG(seed, 7))
	c := &cast{Anonymous: u.Anonymous}
	var err error

	token := func(collection, email string) (person, error) {
		r, err := app.FindAuthRecordByEmail(collection, email)
		if err != nil {
			return person{}, fmt.Errorf("%s %s: %w", collection, email, err)
		}
		t, err := r.NewAuthToken()
		return person{ID: r.Id, Email: email, Token: t}, err
	}
	if c.Admin, err = token("users", "admin@demo.cedarheights.test"); err != nil {
		return nil, err
	}
	if c.Superuser, err = token(core.CollectionNameSuperusers, served.SuperuserEmail); err != nil {
		return nil, err
	}

	// Families with an active student who plays something; those with an
	// open make-up credit first, so make-ups are booked from the start.
	var families []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	err = app.DB().NewQuery(`
		SELECT u.id, u.email FROM users u
		WHERE u.role = 'parent' AND EXISTS (SELECT 1 FROM students s WHERE s.parent = u.id
			AND s.status = 'active' AND s.deleted = '' AND s.instruments NOT IN ('', '[]'))
		ORDER BY EXISTS (SELECT 1 FROM makeup_credits m JOIN students s ON s.id = m.student
			WHERE s.parent = u.id AND m.used_by = '' AND m.revoked_at = '' AND m.expires > {:now}) DESC, u.email
		LIMIT {:n}`).Bind(dbx.Params{"now": dbTime(time.Now()), "n": u.Parents}).All(&families)
	if err != nil {
		return nil, err
	}
	if len(families) < u.Parents {
		return nil, fmt.Errorf("only %d families with an active student (want %d)", len(families), u.Parents)
	}
	byParent := map[string]int{}
	for _, f := range families {
		p, err := token("users", f.Email)
		if err != nil {
			return nil, err
		}
		byParent[p.ID] = len(c.Parents)
		c.Parents = append(c.Parents, parent{person: p})
	}
	var kids []struct {
		ID          string `db:"id"`
		Parent      string `db:"parent"`
		Instruments string `db:"instruments"`
	}
	if err := app.DB().Select("id", "parent", "instruments").From("students").
		Where(dbx.NewExp("status = 'active' AND deleted = ''")).AndWhere(dbx.In("parent", ids(c.Parents)...)).All(&kids); err != nil {
		return nil, err
	}
	for _, k := range kids {
		var instruments []string
		if json.Unmarshal([]byte(k.Instruments), &instruments) != nil || len(instruments) == 0 {
			continue
		}
		i := byParent[k.Parent]
		c.Parents[i].Students = append(c.Parents[i].Students, student{ID: k.ID, Parent: k.Parent, Instrument: instruments[0]})
	}

	var staff []struct {
		ID    string `db:"id"`
		User  string `db:"user"`
		Email string `db:"email"`
	}
	if err := app.DB().NewQuery(`SELECT t.id, t.user, u.email FROM teachers t JOIN users u ON u.id = t.user
		WHERE t.active = 1 ORDER BY u.email LIMIT {:n}`).Bind(dbx.Params{"n": u.Teachers}).All(&staff); err != nil {
		return nil, err
	}
	if len(staff) < u.Teachers {
		return nil, fmt.Errorf("only %d active teachers (want %d)", len(staff), u.Teachers)
	}
	now := time.Now().UTC()
	for _, s := range staff {
		p, err := token("users", s.Email)
		if err != nil {
			return nil, err
		}
		t := teacher{person: p, Profile: s.ID}
		// Lessons of the last two weeks: what a teacher writes notes on.
		if t.Lessons, err = lessonsWhere(app, "teacher = {:t} AND start < {:now} AND start > {:since} AND status IN ('scheduled', 'completed') LIMIT 200",
			dbx.Params{"t": s.ID, "now": dbTime(now), "since": dbTime(now.AddDate(0, 0, -14))}); err != nil {
			return nil, err
		}
		c.Teachers = append(c.Teachers, t)
	}

	if err := app.DB().Select("id").From("instruments").Where(dbx.NewExp("active = 1")).Column(&c.Instruments); err != nil {
		return nil, err
	}
	if err := app.DB().Select("id").From("pricing_plans").Where(dbx.NewExp("public = 1 AND active = 1 AND lesson_minutes = 30")).
		OrderBy("amount").Limit(1).Row(&c.Plan); err != nil {
		return nil, fmt.Errorf("no public 30-minute plan: %w", err)
	}

	// Future lessons, from three days ahead (inside any notice period).
	later := dbTime(now.AddDate(0, 0, 3))
	var kidIDs []any
	for _, p := range c.Parents {
		for _, s := range p.Students {
			kidIDs = append(kidIDs, s.ID)
		}
	}
	if c.FamilyLessons, err = lessonsWhere(app, "status = 'scheduled' AND start > {:later} AND student IN ("+placeholders(kidIDs)+") ORDER BY start LIMIT 20000",
		withIDs(dbx.Params{"later": later}, kidIDs)); err != nil {
		return nil, err
	}
	if c.OtherLessons, err = lessonsWhere(app, "status = 'scheduled' AND start > {:later} AND student NOT IN ("+placeholders(kidIDs)+") ORDER BY random() LIMIT 20000",
		withIDs(dbx.Params{"later": later}, kidIDs)); err != nil {
		return nil, err
	}
	if c.OtherLessons, err = movable(app, c.OtherLessons); err != nil {
		return nil, err
	}
	rng.Shuffle(len(c.FamilyLessons), func(i, j int) { c.FamilyLessons[i], c.FamilyLessons[j] = c.FamilyLessons[j], c.FamilyLessons[i] })
	sort.Strings(c.Instruments)
	return c, nil
}

// movable keeps the lessons the office can move through the public
// timeslots: their teacher is public and active, offers the lesson's length
// and teaches its instrument (the timeslots refuse any other teacher).
func movable(app core.App, ls []lesson) ([]lesson, error) {
	var rows []struct {
		ID          string `db:"id"`
		Lengths     string `db:"lesson_lengths"`
		Instruments string `db:"instruments"`
	}
	if err := app.DB().NewQuery("SELECT id, lesson_lengths, instruments FROM teachers WHERE public = 1 AND active = 1").All(&rows); err != nil {
		return nil, err
	}
	offers := map[string]bool{} // teacher|minutes and teacher|instrument
	for _, r := range rows {
		var lengths, instruments []string
		json.Unmarshal([]byte(r.Lengths), &lengths)
		json.Unmarshal([]byte(r.Instruments), &instruments)
		for _, l := range lengths {
			offers[r.ID+"|"+l+"m"] = true
		}
		for _, i := range instruments {
			offers[r.ID+"|"+i] = true
		}
	}
	out := ls[:0]
	for _, l := range ls {
		minutes := fmt.Sprintf("%dm", int(l.End.Sub(l.Start)/time.Minute))
		if offers[l.Teacher+"|"+minutes] && offers[l.Teacher+"|"+l.Instrument] {
			out = append(out, l)
		}
	}
	return out, nil
}

func lessonsWhere(app core.App, where string, params dbx.Params) ([]lesson, error) {
	var rows []struct {
		ID         string `db:"id"`
		Teacher    string `db:"teacher"`
		Student    string `db:"student"`
		Instrument string `db:"instrument"`
		Start      string `db:"start"`
		End        string `db:"end"`
	}
	if err := app.DB().NewQuery("SELECT id, teacher, student, instrument, start, [[end]] FROM lessons WHERE " + where).Bind(params).All(&rows); err != nil {
		return nil, err
	}
	out := make([]lesson, 0, len(rows))
	for _, r := range rows {
		start, err := time.Parse("2006-01-02 15:04:05.000Z", r.Start)
		if err != nil {
			return nil, err
		}
		end, err := time.Parse("2006-01-02 15:04:05.000Z", r.End)
		if err != nil {
			return nil, err
		}
		out = append(out, lesson{ID: r.ID, Teacher: r.Teacher, Student: r.Student, Instrument: r.Instrument, Start: start, End: end})
	}
	return out, nil
}

func ids(ps []parent) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// placeholders and withIDs bind a list for an IN (...) of raw SQL.
func placeholders(list []any) string {
	s := ""
	for i := range list {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("{:id%d}", i)
	}
	if s == "" {
		return "''"
	}
	return s
}

func withIDs(p dbx.Params, list []any) dbx.Params {
	for i, v := range list {
		p[fmt.Sprintf("id%d", i)] = v
	}
	return p
}

// dbTime formats t as PocketBase stores dates.
func dbTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") }
