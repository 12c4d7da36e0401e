package deploy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"
)

// academy_test.go: a small academy seeded through the record API as the
// superuser, and a load of concurrent writes through the academy's own
// routes as its admin, remembering which writes were acknowledged.

const seedPassword = "restore-test-password"

type academy struct {
	base, superuser, admin string // base URL; the superuser's and the admin's tokens
	parent, instrument     string
	teachers, students     []string
	rounds                 int // loads run so far: each books its own days
}

func seedAcademy(t *testing.T, base, superuser string) *academy {
	t.Helper()
	a := &academy{base: base, superuser: superuser}
	create := func(collection string, body map[string]any) string {
		t.Helper()
		res := doJSON(t, http.MethodPost, base+"/api/collections/"+collection+"/records", superuser, body)
		if res.status != http.StatusOK {
			t.Fatalf("seed %s: %d %s", collection, res.status, res.body)
		}
		var rec struct{ ID string }
		res.decode(t, &rec)
		return rec.ID
	}
	user := func(email, name, role string) string {
		return create("users", map[string]any{"email": email, "name": name, "role": role,
			"password": seedPassword, "passwordConfirm": seedPassword, "verified": true})
	}
	user("admin@restore.test", "Ada Admin", "admin")
	a.parent = user("parent@restore.test", "Pat Parent", "parent")
	a.instrument = create("instruments", map[string]any{"name": "Piano", "min_age": 5, "active": true})
	for i := range 2 {
		u := user(fmt.Sprintf("teacher%d@restore.test", i), fmt.Sprintf("Teacher %d", i), "teacher")
		id := create("teachers", map[string]any{"user": u, "display_name": fmt.Sprintf("Teacher %d", i),
			"instruments": []string{a.instrument}, "lesson_lengths": []string{"30"}, "capacity": 50,
			"public": true, "active": true})
		for weekday := range 7 {
			create("availability", map[string]any{"teacher": id, "weekday": weekday, "start_time": "08:00", "end_time": "20:00"})
		}
		a.teachers = append(a.teachers, id)
	}
	for i := range 3 {
		a.students = append(a.students, create("students", map[string]any{"parent": a.parent,
			"first_name": fmt.Sprintf("Lesson%d", i), "last_name": "Student", "status": "active",
			"instruments": []string{a.instrument}}))
	}
	res := doJSON(t, http.MethodPost, base+"/auth/login", "", map[string]any{"email": "admin@restore.test", "password": seedPassword})
	if res.status != http.StatusOK {
		t.Fatalf("admin sign-in: %d %s", res.status, res.body)
	}
	var auth struct{ Token string }
	res.decode(t, &auth)
	a.admin = auth.Token
	return a
}

// acked is what the server acknowledged (201) during the load.
type acked struct {
	mu        sync.Mutex
	students  []string
	lessons   []string
	conflicts int      // lessons refused with 409: the calendar guard at work
	failures  []string // anything else: transport errors, 4xx other than 409, 5xx
	last      time.Time
}

func (a *acked) total() int { return len(a.students) + len(a.lessons) }

// load runs workers that create students and book 30-minute lessons into a
// small pool of slots (so that bookings collide) until attempts writes were
// tried or the time is up.
func (a *academy) load(workers, attempts int, within time.Duration) *acked {
	got := &acked{}
	var next sync.Mutex
	tried := 0
	day := time.Now().UTC().AddDate(0, 0, 10+3*a.rounds).Truncate(24 * time.Hour)
	a.rounds++
	deadline := time.Now().Add(within)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 13))
			for time.Now().Before(deadline) {
				next.Lock()
				n := tried
				tried++
				next.Unlock()
				if n >= attempts {
					return
				}
				if n%3 == 2 {
					// 2 days × 20 half hours, 2 teachers, 3 students: many collide
					start := day.AddDate(0, 0, rng.IntN(2)).Add(9*time.Hour + time.Duration(rng.IntN(20))*30*time.Minute)
					got.record("lesson", a.post("/api/v1/lessons", map[string]any{
						"teacher": a.teachers[rng.IntN(len(a.teachers))], "student": a.students[rng.IntN(len(a.students))],
						"instrument": a.instrument, "start": start.Format(time.RFC3339), "minutes": 30, "kind": "regular",
					}))
				} else {
					got.record("student", a.post("/api/v1/students", map[string]any{
						"parent": a.parent, "first_name": fmt.Sprintf("Load%d", n), "last_name": "Student", "status": "active",
					}))
				}
			}
		}()
	}
	wg.Wait()
	return got
}

type attempt struct {
	res response
	err error
}

func (a *academy) post(path string, body map[string]any) attempt {
	res, err := send(http.MethodPost, a.base+path, a.admin, body)
	return attempt{res, err}
}

func (got *acked) record(kind string, at attempt) {
	got.mu.Lock()
	defer got.mu.Unlock()
	switch {
	case at.err != nil:
		got.failures = append(got.failures, kind+": "+at.err.Error())
	case at.res.status == http.StatusCreated:
		var rec struct{ ID string }
		if err := json.Unmarshal(at.res.body, &rec); err != nil || rec.ID == "" {
			got.failures = append(got.failures, fmt.Sprintf("%s: 201 without an id: %s", kind, at.res.body))
			return
		}
		if kind == "lesson" {
			got.lessons = append(got.lessons, rec.ID)
		} else {
			got.students = append(got.students, rec.ID)
		}
		got.last = time.Now()
	case kind == "lesson" && at.res.status == http.StatusConflict:
		got.conflicts++
	default:
		got.failures = append(got.failures, fmt.Sprintf("%s: %d %s", kind, at.res.status, tail(string(at.res.body), 300)))
	}
}
