package workflows_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
	"cedarheights/workflows"
)

func TestSMTPFromEnv(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		ok     bool
		err    string
		want   core.SMTPConfig
		sender string
	}{
		{name: "unset", env: map[string]string{"SMTP_PORT": "1025"}},
		{name: "mailpit", env: map[string]string{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1025"}, ok: true,
			want: core.SMTPConfig{Enabled: true, Host: "127.0.0.1", Port: 1025}},
		{name: "a provider", ok: true, env: map[string]string{"SMTP_HOST": "smtp.example.com", "SMTP_USERNAME": "apikey",
			"SMTP_PASSWORD": "secret", "SMTP_TLS": "true", "SMTP_PORT": "465", "SMTP_AUTH_METHOD": "login", "SMTP_SENDER_ADDRESS": "office@cedarheights.test"},
			want:   core.SMTPConfig{Enabled: true, Host: "smtp.example.com", Port: 465, Username: "apikey", Password: "secret", TLS: true, AuthMethod: "LOGIN"},
			sender: "office@cedarheights.test"},
		{name: "default port", env: map[string]string{"SMTP_HOST": "smtp.example.com"}, ok: true,
			want: core.SMTPConfig{Enabled: true, Host: "smtp.example.com", Port: 587}},
		{name: "bad port", env: map[string]string{"SMTP_HOST": "h.test", "SMTP_PORT": "70000"}, err: "SMTP_PORT"},
		{name: "port not a number", env: map[string]string{"SMTP_HOST": "h.test", "SMTP_PORT": "smtp"}, err: "SMTP_PORT"},
		{name: "bad tls", env: map[string]string{"SMTP_HOST": "h.test", "SMTP_TLS": "maybe"}, err: "SMTP_TLS"},
		{name: "bad host", env: map[string]string{"SMTP_HOST": "not a host"}, err: "SMTP_HOST"},
		{name: "bad auth", env: map[string]string{"SMTP_HOST": "h.test", "SMTP_AUTH_METHOD": "CRAM-MD5"}, err: "SMTP_AUTH_METHOD"},
		{name: "bad sender", env: map[string]string{"SMTP_HOST": "h.test", "SMTP_SENDER_ADDRESS": "office"}, err: "SMTP_SENDER_ADDRESS"},
	}
	for _, c := range cases {
		cfg, ok, err := workflows.SMTPFromEnv(func(k string) string { return c.env[k] })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one naming %s", c.name, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.ok || cfg.SMTP != c.want || cfg.SenderAddress != c.sender {
			t.Errorf("%s: %+v %v %v", c.name, cfg, ok, err)
		}
	}
}

// The environment's SMTP server wins over the stored settings, also after
// a settings reload (a save in the admin UI), and is never stored.
func TestBindSMTPEnvSurvivesASettingsReload(t *testing.T) {
	app, _ := testapp.New(t)
	t.Setenv("SMTP_HOST", "127.0.0.1")
	t.Setenv("SMTP_PORT", "1025")
	t.Setenv("SMTP_SENDER_ADDRESS", "office@cedarheights.test")
	if err := workflows.BindSMTPEnv(app); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		s := app.Settings()
		if !s.SMTP.Enabled || s.SMTP.Host != "127.0.0.1" || s.SMTP.Port != 1025 || s.Meta.SenderAddress != "office@cedarheights.test" {
			t.Errorf("%s: smtp %+v sender %q", when, s.SMTP, s.Meta.SenderAddress)
		}
	}
	check("after binding")
	if err := app.ReloadSettings(); err != nil {
		t.Fatal(err)
	}
	check("after a reload")

	var raw string
	if err := app.DB().NewQuery("SELECT value FROM _params WHERE id = 'settings'").Row(&raw); err != nil {
		t.Fatal(err)
	}
	var stored struct {
		SMTP core.SMTPConfig `json:"smtp"`
	}
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.SMTP.Host == "127.0.0.1" {
		t.Errorf("the environment's server was stored: %+v", stored.SMTP)
	}

	t.Setenv("SMTP_PORT", "not-a-port")
	if err := workflows.BindSMTPEnv(app); err == nil {
		t.Error("a bad SMTP_PORT was accepted")
	}
}
