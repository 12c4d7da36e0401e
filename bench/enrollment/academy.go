package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/crypto/bcrypt"

	"cedarheights/academy"
	"cedarheights/bench/internal/benchmail"
	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// academyEnv is the served academy: teachers with room and free time every
// day, one public plan synced to a price on the stand-in, and parents (each
// a family that enrolls once).
type academyEnv struct {
	app      *core.BaseApp
	dir      string
	base     string
	stopHTTP func()
	stub     *stripestub.Server
	zone     *time.Location

	piano    string
	plan     string
	teachers []string
	hash     string // one bcrypt hash for every bench account

	parents []parent
}

type parent struct {
	id, token string
}

const (
	benchTeachers = 20
	benchPassword = "bench-family-123"
	webhookSecret = "whsec_enrollment_bench"
)

func newAcademy(mail *benchmail.Mailpit) (*academyEnv, error) {
	dir, err := os.MkdirTemp("", "cedarheights-enrollment-bench-")
	if err != nil {
		return nil, err
	}
	env := &academyEnv{dir: dir}
	// SMTP_* are read by the wiring: the outbox delivers to mailpit.
	os.Setenv("SMTP_HOST", mail.SMTPHost)
	os.Setenv("SMTP_PORT", strconv.Itoa(mail.SMTPPort))
	os.Setenv("ACADEMY_RATE_LIMIT", "off")
	env.app = core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := env.app.Bootstrap(); err != nil {
		return nil, err
	}
	if err := env.app.RunAllMigrations(); err != nil {
		return nil, err
	}
	if err := wiring.Register(env.app, wiring.WithEngineOptions(workflows.Options{NoSchedules: true, MailInterval: 250 * time.Millisecond})); err != nil {
		return nil, err
	}
	env.app.Settings().RateLimits.Enabled = false

	env.stub = stripestub.Start()
	env.stub.WebhookSecret = webhookSecret
	svc := billing.Use(env.app, billing.Config{SecretKey: "sk_test_bench", WebhookSecret: webhookSecret, APIBase: env.stub.URL})

	if err := env.seed(); err != nil {
		return nil, err
	}
	if _, err := svc.SyncPrices(context.Background()); err != nil {
		return nil, fmt.Errorf("sync prices: %w", err)
	}
	if env.base, env.stopHTTP, err = serve(env.app); err != nil {
		return nil, err
	}
	env.stub.WebhookURL = env.base + "/api/v1/stripe/webhooks"
	return env, nil
}

func (env *academyEnv) close() {
	if env.stopHTTP != nil {
		env.stopHTTP()
	}
	if eng := workflows.EngineOf(env.app); eng != nil {
		eng.Stop()
	}
	if env.stub != nil {
		env.stub.Close()
	}
	env.app.ResetBootstrapState()
	os.RemoveAll(env.dir)
}

// save writes a record of collection through the model (hooks included).
func (env *academyEnv) save(collection string, data map[string]any, auth string) (*core.Record, error) {
	col, err := env.app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(col)
	r.Load(data)
	if auth != "" {
		r.SetEmail(auth)
		r.SetRaw("password", &core.PasswordFieldValue{Hash: env.hash})
		r.SetVerified(true)
	}
	if err := env.app.Save(r); err != nil {
		return nil, fmt.Errorf("%s: %w", collection, err)
	}
	return r, nil
}

func (env *academyEnv) seed() error {
	settings, err := academy.Load(env.app)
	if err != nil {
		return err
	}
	env.zone = settings.Zone
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	env.hash = string(hash)
	if _, err := env.save("users", map[string]any{"name": "Bench Admin", "role": "admin"}, "admin@bench.test"); err != nil {
		return err
	}
	piano, err := env.save("instruments", map[string]any{"name": "Piano", "min_age": 5, "active": true}, "")
	if err != nil {
		return err
	}
	env.piano = piano.Id
	plan, err := env.save("pricing_plans", map[string]any{"name": "Monthly 30 min", "lesson_minutes": 30, "lessons_per_period": 4,
		"interval": "month", "amount": 14000, "currency": settings.Currency, "public": true, "active": true}, "")
	if err != nil {
		return err
	}
	env.plan = plan.Id
	for i := range benchTeachers {
		u, err := env.save("users", map[string]any{"name": fmt.Sprintf("Teacher %02d", i+1), "role": "teacher"}, fmt.Sprintf("teacher%02d@bench.test", i+1))
		if err != nil {
			return err
		}
		t, err := env.save("teachers", map[string]any{"user": u.Id, "display_name": u.GetString("name"), "instruments": []string{env.piano},
			"lesson_lengths": []string{"30"}, "capacity": 200, "levels": []string{"beginner"}, "public": true, "active": true}, "")
		if err != nil {
			return err
		}
		for wd := range 7 {
			if _, err := env.save("availability", map[string]any{"teacher": t.Id, "weekday": wd, "start_time": "08:00", "end_time": "22:00"}, ""); err != nil {
				return err
			}
		}
		env.teachers = append(env.teachers, t.Id)
	}
	return nil
}

// addParents makes n more parent accounts with their auth tokens (made
// here, not by a password login: bcrypt would dominate).
func (env *academyEnv) addParents(n int) ([]parent, error) {
	out := make([]parent, 0, n)
	for range n {
		i := len(env.parents) + 1
		u, err := env.save("users", map[string]any{"name": fmt.Sprintf("Parent %05d", i), "role": "parent"}, fmt.Sprintf("parent%05d@bench.test", i))
		if err != nil {
			return nil, err
		}
		token, err := u.NewAuthToken()
		if err != nil {
			return nil, err
		}
		p := parent{id: u.Id, token: token}
		env.parents = append(env.parents, p)
		out = append(out, p)
	}
	return out, nil
}

// trialSlot is the i-th distinct free trial slot: teacher i%20, on one of
// the 7 days from the day after tomorrow, at 08:00 + k × 40 minutes (a
// 30-minute lesson and the academy's buffer).
func (env *academyEnv) trialSlot(i int) (string, time.Time) {
	teacher := env.teachers[i%len(env.teachers)]
	rest := i / len(env.teachers)
	day, k := 2+rest%7, rest/7
	if k > 20 {
		panic("bench: out of trial slots")
	}
	d := time.Now().In(env.zone).AddDate(0, 0, day)
	start := time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, env.zone).Add(time.Duration(k*40) * time.Minute)
	return teacher, start.UTC()
}

// serve runs app's router on a loopback port, as `serve` would.
func serve(app core.App) (string, func(), error) {
	srv, err := testapp.Listen(app)
	if err != nil {
		return "", nil, err
	}
	return srv.URL, srv.Close, nil
}
