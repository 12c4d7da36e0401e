package sim

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cedarheights/billing/stripestub"
	"cedarheights/internal/mailpit"
	"cedarheights/tests/crash"
)

// Zone is the academy's time zone in the simulation: both of its
// daylight-saving changes fall inside a school year.
const Zone = "America/Toronto"

const (
	superEmail    = "sim-owner@cedarheights.test"
	superPassword = "sim-owner-password"
	webhookSecret = "whsec_simulation"
	stripeKey     = "sk_test_simulation"
)

// env is the processes the simulation runs: the academy binary on its data
// dir (restarted on the same dir), the Stripe stand-in and mailpit.
type env struct {
	t      testing.TB
	bin    string
	dir    string
	srv    *crash.Server
	stub   *stripestub.Server
	mail   *mailpit.Server
	client *client
}

// Build compiles the academy binary (the main package, as `make build`
// does) into the module's bin/sim/. Not into a temporary folder:
// PocketBase takes a binary under os.TempDir() for `go run` and serves in
// dev mode, printing every SQL statement.
func Build() (string, error) {
	root, err := crash.ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "sim", "cedarheights")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	// The caller's GOFLAGS too (make's -trimpath): the packages are then
	// the ones its own build compiled, found in the build cache.
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -buildvcs=false"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// startEnv starts the stand-ins and the server on a fresh data dir.
func startEnv(t testing.TB, bin string) (*env, error) {
	e := &env{t: t, bin: bin, dir: t.TempDir(), client: newClient()}
	e.mail = mailpit.Start(t, mailpit.Options{})
	e.stub = stripestub.New(t)
	e.stub.WebhookSecret = webhookSecret
	e.srv = crash.NewServer(bin, e.dir, e.serverEnv()...)
	if err := e.srv.Superuser(superEmail, superPassword); err != nil {
		return nil, err
	}
	if err := e.start(); err != nil {
		return nil, err
	}
	return e, nil
}

// serverEnv is what the binary is started with (and doctor run with).
func (e *env) serverEnv() []string {
	return []string{
		"ACADEMY_TZ=" + Zone,
		"STRIPE_SECRET_KEY=" + stripeKey, "STRIPE_API_BASE=" + e.stub.URL, "STRIPE_WEBHOOK_SECRET=" + webhookSecret,
		"SMTP_HOST=" + e.mail.SMTPHost, "SMTP_PORT=" + strconv.Itoa(e.mail.SMTPPort),
		"WORKFLOW_WORKERS=4",
	}
}

func (e *env) start() error {
	if err := e.srv.Start(); err != nil {
		return err
	}
	e.client.setBase(e.srv.URL)
	e.stub.WebhookURL = e.srv.URL + "/api/v1/stripe/webhooks"
	return nil
}

// restart kills the server with SIGKILL and serves the same data dir again.
func (e *env) restart() error {
	if err := e.srv.Kill(); err != nil {
		return err
	}
	return e.start()
}

// stop ends the server gracefully (doctor reads the data dir after).
func (e *env) stop() error { return e.srv.Stop() }

// runBinary runs one command of the binary with the server's environment.
func (e *env) runBinary(args ...string) (string, error) {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(append(os.Environ(), "ACADEMY_RATE_LIMIT=off"), e.serverEnv()...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func urlQuery(s string) string { return url.QueryEscape(s) }
