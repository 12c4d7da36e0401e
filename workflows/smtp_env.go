package workflows

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// smtp_env.go: point the outbox at an SMTP server from the environment,
// without the admin UI (`make mail` sets SMTP_HOST=127.0.0.1
// SMTP_PORT=1025 for mailpit). The values live in memory only and win
// over the stored mail settings while they are set; unset them and the
// stored settings apply again at the next start.
//
//	SMTP_HOST            the server (setting it turns the rest on)
//	SMTP_PORT            default 587
//	SMTP_USERNAME        with SMTP_PASSWORD: SMTP AUTH
//	SMTP_PASSWORD
//	SMTP_AUTH_METHOD     PLAIN (default) or LOGIN
//	SMTP_TLS             true for implicit TLS (port 465); otherwise STARTTLS
//	                     is used whenever the server offers it
//	SMTP_SENDER_ADDRESS  the From address (default: the stored one)

// SMTPEnv is the mail setup read from the environment.
type SMTPEnv struct {
	SMTP          core.SMTPConfig
	SenderAddress string // "" keeps the stored one
}

// SMTPFromEnv reads the SMTP_* variables through getenv (os.Getenv in
// production). ok is false when SMTP_HOST is unset.
func SMTPFromEnv(getenv func(string) string) (cfg SMTPEnv, ok bool, err error) {
	host := strings.TrimSpace(getenv("SMTP_HOST"))
	if host == "" {
		return SMTPEnv{}, false, nil
	}
	cfg.SMTP = core.SMTPConfig{
		Enabled:    true,
		Host:       host,
		Port:       587,
		Username:   getenv("SMTP_USERNAME"),
		Password:   getenv("SMTP_PASSWORD"),
		AuthMethod: strings.ToUpper(strings.TrimSpace(getenv("SMTP_AUTH_METHOD"))),
	}
	if p := strings.TrimSpace(getenv("SMTP_PORT")); p != "" {
		if cfg.SMTP.Port, err = strconv.Atoi(p); err != nil || cfg.SMTP.Port < 1 || cfg.SMTP.Port > 65535 {
			return SMTPEnv{}, false, fmt.Errorf("SMTP_PORT: %q is not a port number", p)
		}
	}
	if t := strings.TrimSpace(getenv("SMTP_TLS")); t != "" {
		if cfg.SMTP.TLS, err = strconv.ParseBool(t); err != nil {
			return SMTPEnv{}, false, fmt.Errorf("SMTP_TLS: %q is not true or false", t)
		}
	}
	if err := validation.Validate(cfg.SMTP.AuthMethod, validation.In("", mailer.SMTPAuthPlain, mailer.SMTPAuthLogin)); err != nil {
		return SMTPEnv{}, false, fmt.Errorf("SMTP_AUTH_METHOD: %w", err)
	}
	if err := cfg.SMTP.Validate(); err != nil {
		return SMTPEnv{}, false, fmt.Errorf("SMTP_HOST/SMTP_PORT: %w", err)
	}
	cfg.SenderAddress = strings.TrimSpace(getenv("SMTP_SENDER_ADDRESS"))
	if err := validation.Validate(cfg.SenderAddress, is.EmailFormat); err != nil {
		return SMTPEnv{}, false, fmt.Errorf("SMTP_SENDER_ADDRESS: %w", err)
	}
	return cfg, true, nil
}

// apply puts the environment's setup into app's in-memory settings.
func (c SMTPEnv) apply(app core.App) {
	s := app.Settings()
	s.SMTP = c.SMTP
	if c.SenderAddress != "" {
		s.Meta.SenderAddress = c.SenderAddress
	}
}

// BindSMTPEnv applies the SMTP_* variables to app's mail settings once the
// app has bootstrapped (or at once if it has) and again after every
// settings reload, so a save in the admin UI does not undo them. A bad
// value is an error here, before the server starts. Without SMTP_HOST it
// does nothing.
func BindSMTPEnv(app core.App) error {
	cfg, ok, err := SMTPFromEnv(os.Getenv)
	if err != nil || !ok {
		return err
	}
	app.OnBootstrap().Bind(&hook.Handler[*core.BootstrapEvent]{
		Id: "workflowsSMTPEnv",
		Func: func(e *core.BootstrapEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			cfg.apply(e.App)
			return nil
		},
	})
	app.OnSettingsReload().Bind(&hook.Handler[*core.SettingsReloadEvent]{
		Id: "workflowsSMTPEnv",
		Func: func(e *core.SettingsReloadEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			cfg.apply(e.App)
			return nil
		},
	})
	if app.IsBootstrapped() {
		cfg.apply(app)
	}
	app.Logger().Info("mail: SMTP settings from the environment", "host", cfg.SMTP.Host, "port", cfg.SMTP.Port)
	return nil
}
