package sim

import (
	"cedarheights/tests/crash"
	"fmt"
	"net/http"
)

// academy.go: the academy the year starts from, written as a superuser
// through PocketBase's batch API (one transaction per batch) with ids the
// driver chooses, so the same seed names the same records.

const (
	password   = "sim-password-123"
	pianoID    = "simpiano0000001"
	violinID   = "simviolin000001"
	planID     = "simplanmonth030"
	plan45ID   = "simplanmonth045"
	adminID    = "simadminuser001"
	gridTeach  = 4 // teachers on the weekly grid
	nowTeach   = 4 // teachers free round the clock: near-now lessons and attendance
	currency   = "cad"
	planAmount = 14000
)

func teacherID(i int) string     { return fmt.Sprintf("simteacher%05d", i) }
func teacherUserID(i int) string { return fmt.Sprintf("simtuser%07d", i) }
func parentID(i int) string      { return fmt.Sprintf("simparent%06d", i) }
func studentID(i int) string     { return fmt.Sprintf("simstudent%05d", i) }

// teacherInstruments: grid teachers 0–2 teach piano, 2–3 violin; the
// round-the-clock teachers teach both.
func teacherInstruments(i int) []string {
	switch {
	case i < 2:
		return []string{pianoID}
	case i == 2:
		return []string{pianoID, violinID}
	case i == 3:
		return []string{violinID}
	}
	return []string{pianoID, violinID}
}

type batchReq struct {
	Method string         `json:"method"`
	URL    string         `json:"url"`
	Body   map[string]any `json:"body,omitempty"`
}

func create(collection string, body map[string]any) batchReq {
	return batchReq{Method: http.MethodPost, URL: "/api/collections/" + collection + "/records", Body: body}
}

// batch sends requests through /api/batch, which writes all or nothing.
func (s *Sim) batch(reqs []batchReq) error {
	s.count("batch")
	a := s.c.call(http.MethodPost, "/api/batch", s.super, map[string]any{"requests": reqs})
	if !a.ok() {
		return fmt.Errorf("batch: %s", a)
	}
	return nil
}

func user(id, email, name, role string) batchReq {
	return create("users", map[string]any{"id": id, "email": email, "name": name, "role": role, "verified": true,
		"password": password, "passwordConfirm": password})
}

// setUp writes the academy: settings, instruments, plans, teachers with
// their week, the families with a first student each.
func (s *Sim) setUp() error {
	var out struct {
		Token string `json:"token"`
	}
	a := s.c.call(http.MethodPost, "/api/collections/_superusers/auth-with-password", "", map[string]string{"identity": superEmail, "password": superPassword})
	if err := a.decode(&out); err != nil || out.Token == "" {
		return fmt.Errorf("superuser login: %s", a)
	}
	s.super = out.Token
	// The batch API is off by default; an owner turns it on in the settings.
	if a := s.c.call(http.MethodPatch, "/api/settings", s.super, map[string]any{"batch": map[string]any{"enabled": true, "maxRequests": 200, "timeout": 30}}); !a.ok() {
		return fmt.Errorf("settings: %s", a)
	}
	if err := s.cheapPasswords(); err != nil {
		return err
	}
	rows, err := s.c.records(s.super, "academy", "")
	if err != nil || len(rows) != 1 {
		return fmt.Errorf("academy settings record: %v (%d)", err, len(rows))
	}
	if a := s.c.call(http.MethodPatch, "/api/collections/academy/records/"+rows[0]["id"].(string), s.super,
		map[string]any{"buffer_minutes": bufferMinutes, "cancellation_notice_hours": noticeHours}); !a.ok() {
		return fmt.Errorf("academy: %s", a)
	}

	reqs := []batchReq{
		create("instruments", map[string]any{"id": pianoID, "name": "Piano", "min_age": 4, "active": true}),
		create("instruments", map[string]any{"id": violinID, "name": "Violin", "min_age": 4, "active": true}),
		create("pricing_plans", map[string]any{"id": planID, "name": "Monthly 30 min", "lesson_minutes": 30, "lessons_per_period": 4,
			"interval": "month", "amount": planAmount, "currency": currency, "public": true, "active": true}),
		create("pricing_plans", map[string]any{"id": plan45ID, "name": "Monthly 30 min, more", "lesson_minutes": 30, "lessons_per_period": 5,
			"interval": "month", "amount": planAmount + 3500, "currency": currency, "public": true, "active": true}),
		user(adminID, "office@sim.test", "Office", "admin"),
	}
	for i := range gridTeach + nowTeach {
		reqs = append(reqs, user(teacherUserID(i), fmt.Sprintf("teacher%02d@sim.test", i), fmt.Sprintf("Teacher %02d", i), "teacher"))
	}
	for i := range s.cfg.Families {
		reqs = append(reqs, user(parentID(i), fmt.Sprintf("family%02d@sim.test", i), fmt.Sprintf("Family %02d", i), "parent"))
	}
	// Accounts in batches of ten: each password is a bcrypt hash.
	for len(reqs) > 0 {
		n := min(10, len(reqs))
		if err := s.batch(reqs[:n]); err != nil {
			return err
		}
		reqs = reqs[n:]
	}
	for i := range gridTeach + nowTeach {
		reqs = append(reqs, create("teachers", map[string]any{"id": teacherID(i), "user": teacherUserID(i), "display_name": fmt.Sprintf("Teacher %02d", i),
			"instruments": teacherInstruments(i), "lesson_lengths": []string{"30"}, "capacity": 100, "levels": []string{"beginner", "intermediate"},
			"public": i < gridTeach, "active": true}))
	}
	for i := range s.cfg.Families {
		inst := pianoID
		if s.rng.IntN(3) == 0 {
			inst = violinID
		}
		st := &student{id: studentID(i), family: parentID(i), instrument: inst, name: fmt.Sprintf("Kid %02d", i)}
		s.m.students[st.id] = st
		reqs = append(reqs, create("students", map[string]any{"id": st.id, "parent": st.family, "first_name": "Kid", "last_name": fmt.Sprintf("Family%02d", i),
			"birth_date": "2015-05-01", "instruments": []string{inst}, "level": "beginner", "status": "active"}))
	}
	if err := s.batch(reqs); err != nil {
		return err
	}
	for i := range gridTeach + nowTeach {
		windows := []map[string]any{}
		if i < gridTeach {
			for wd := 1; wd <= 5; wd++ {
				windows = append(windows, map[string]any{"weekday": wd, "start_time": "15:00", "end_time": "20:30"})
			}
			windows = append(windows, map[string]any{"weekday": 6, "start_time": "09:00", "end_time": "14:00"})
		} else {
			for wd := range 7 {
				windows = append(windows, map[string]any{"weekday": wd, "start_time": "00:00", "end_time": "24:00"})
			}
		}
		if a := s.c.call(http.MethodPut, "/api/v1/teachers/"+teacherID(i)+"/availability", s.super, map[string]any{"windows": windows}); !a.ok() {
			return fmt.Errorf("availability: %s", a)
		}
	}
	if out, err := s.e.runBinary("billing", "sync-prices", "--dir", s.e.dir); err != nil {
		return fmt.Errorf("sync-prices: %v\n%s", err, out)
	}
	// Sign everyone in once: a token outlives restarts (it is signed with
	// the data dir's secret).
	login := func(email string) (string, error) {
		var out struct {
			Token string `json:"token"`
		}
		a := s.c.call(http.MethodPost, "/api/collections/users/auth-with-password", "", map[string]string{"identity": email, "password": password})
		if err := a.decode(&out); err != nil || out.Token == "" {
			return "", fmt.Errorf("login %s: %s", email, a)
		}
		return out.Token, nil
	}
	if s.admin, err = login("office@sim.test"); err != nil {
		return err
	}
	for i := range gridTeach + nowTeach {
		tok, err := login(fmt.Sprintf("teacher%02d@sim.test", i))
		if err != nil {
			return err
		}
		s.teacherTokens = append(s.teacherTokens, tok)
	}
	for i := range s.cfg.Families {
		email := fmt.Sprintf("family%02d@sim.test", i)
		tok, err := login(email)
		if err != nil {
			return err
		}
		s.m.families = append(s.m.families, &family{id: parentID(i), email: email, token: tok})
	}
	return nil
}

// cheapPasswords sets the users' password field to bcrypt's lowest cost
// (crash.Client.CheapPasswords). The simulation signs up and signs in every
// account (two hashes per create, one per sign-in), and the same hashing and
// comparing runs at any cost: what a hash costs is not what it checks.
func (s *Sim) cheapPasswords() error {
	c := &crash.Client{URL: s.c.url(""), Token: s.super, HTTP: s.c.http}
	if err := c.CheapPasswords(); err != nil {
		return fmt.Errorf("users password cost: %w", err)
	}
	return nil
}
