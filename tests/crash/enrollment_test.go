package crash

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"cedarheights/billing/stripestub"
)

// TestKillNineMidEnrollment starts enrollments on the built server (billing
// online against the Stripe stand-in), kills it with SIGKILL while they
// run, restarts it and checks that each completed once: one Stripe
// customer and one subscription per family, one trial lesson and one
// active enrollment per run, one welcome mail per person (family, teacher,
// admin).
func TestKillNineMidEnrollment(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	bin := serverBinary(t)
	stub := stripestub.New(t)
	dir := t.TempDir()
	env := []string{"STRIPE_SECRET_KEY=sk_test_stub", "STRIPE_API_BASE=" + stub.URL, "ACADEMY_TZ=UTC", "WORKFLOW_WORKERS=4"}
	srv := NewServer(bin, dir, env...)
	if err := migrated(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Kill()
	c, err := Login(srv.URL, superEmail, superPassword)
	if err != nil {
		t.Fatal(err)
	}
	// Fourteen accounts follow; their passwords are not what this checks.
	if err := c.CheapPasswords(); err != nil {
		t.Fatal(err)
	}

	// The academy: one piano teacher free every day 08:00–20:00 UTC, a
	// plan, an admin, and a family per enrollment.
	const families = 12 // one trial an hour, 08:00–19:00
	create := func(collection string, data map[string]any) string {
		t.Helper()
		var out struct {
			ID string `json:"id"`
		}
		if err := c.call(http.MethodPost, "/api/collections/"+collection+"/records", data, &out); err != nil {
			t.Fatal(err)
		}
		return out.ID
	}
	user := func(email, role string) string {
		return create("users", map[string]any{"email": email, "password": "password123", "passwordConfirm": "password123",
			"verified": true, "role": role, "name": strings.Split(email, "@")[0]})
	}
	piano := create("instruments", map[string]any{"name": "Piano", "min_age": 5, "active": true})
	user("office@crash.test", "admin")
	teacher := create("teachers", map[string]any{"user": user("teacher@crash.test", "teacher"), "display_name": "Tess Teacher",
		"instruments": []string{piano}, "lesson_lengths": []string{"30"}, "capacity": 100, "public": true, "active": true})
	for day := range 7 {
		create("availability", map[string]any{"teacher": teacher, "weekday": day, "start_time": "08:00", "end_time": "20:00"})
	}
	plan := create("pricing_plans", map[string]any{"name": "Monthly", "lesson_minutes": 30, "lessons_per_period": 4,
		"interval": "month", "amount": 14000, "currency": "cad", "public": true, "active": true})
	sync := exec.Command(bin, "billing", "sync-prices", "--dir", dir)
	sync.Env = srv.environ()
	if out, err := sync.CombinedOutput(); err != nil {
		t.Fatalf("sync-prices: %v\n%s", err, out)
	}

	day := time.Now().UTC().AddDate(0, 0, 2)
	base := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, time.UTC)
	parents := make([]string, families)
	for i := range parents {
		parents[i] = user(fmt.Sprintf("family%d@crash.test", i), "parent")
	}
	for i, parent := range parents {
		input := map[string]any{
			"parent":  map[string]any{"id": parent},
			"student": map[string]any{"first_name": fmt.Sprintf("Kid%d", i), "last_name": "Crash", "birth_date": "2015-01-01", "instrument": piano},
			"plan":    plan, "trial": map[string]any{"teacher": teacher, "start": base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)},
			"source": "admin",
		}
		var out struct {
			ID string `json:"id"`
		}
		err := c.call(http.MethodPost, "/api/v1/workflows/runs?wait=0",
			map[string]any{"workflow": "enrollment", "input": input, "owner": parent, "idempotency_key": fmt.Sprintf("enroll-%d", i)}, &out)
		if err != nil {
			t.Fatal(err)
		}
	}

	// Kill once a few customers exist: the runs are then spread over the
	// nodes, some between a Stripe call and its checkpoint.
	deadline := time.Now().Add(30 * time.Second)
	for stub.Count("customer") < families/4 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed with %d customers and %d subscriptions of %d made", stub.Count("customer"), stub.Count("subscription"), families)

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c, err = Login(srv.URL, superEmail, superPassword)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n, err := c.Count("enrollment", "completed")
		if err != nil {
			t.Fatal(err)
		}
		if n == families {
			break
		}
		if time.Now().After(deadline) {
			all, _ := c.Runs("enrollment")
			for _, r := range all {
				t.Logf("run %s: %s %s", r.ID, r.Status, r.Error)
			}
			t.Fatalf("%d of %d enrollments completed after the restart", n, families)
		}
	}

	if n := stub.Count("customer"); n != families {
		t.Errorf("%d Stripe customers for %d families", n, families)
	}
	if n := stub.Count("subscription"); n != families {
		t.Errorf("%d subscriptions for %d enrollments", n, families)
	}
	lessons, err := c.Records("lessons")
	if err != nil {
		t.Fatal(err)
	}
	if len(lessons) != families {
		t.Errorf("%d trial lessons for %d enrollments", len(lessons), families)
	}
	enrollments, err := c.Records("enrollments")
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]bool{}
	for _, e := range enrollments {
		if e["status"] != "active" || e["stripe_subscription_id"] == "" {
			t.Errorf("enrollment %v", e)
		}
		subs[fmt.Sprint(e["stripe_subscription_id"])] = true
	}
	if len(enrollments) != families || len(subs) != families {
		t.Errorf("%d enrollments with %d subscriptions", len(enrollments), len(subs))
	}
	mails, err := c.Records("email_outbox")
	if err != nil {
		t.Fatal(err)
	}
	perPerson := map[string]int{}
	for _, m := range mails {
		key := fmt.Sprint(m["idempotency_key"])
		if strings.Contains(key, ":welcome:") {
			perPerson[strings.SplitN(key, ":welcome:", 2)[0]+" → "+fmt.Sprint(m["to"])]++
		}
	}
	if len(perPerson) != 3*families {
		t.Errorf("%d welcome mails (enrollment, person), want %d", len(perPerson), 3*families)
	}
	for who, n := range perPerson {
		if n != 1 {
			t.Errorf("%s: %d welcome mails", who, n)
		}
	}
}
