package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"cedarheights/audit"
)

// Service is the billing side of one app: its Stripe client (nil when
// offline), its webhook secret and the queue that hands stored events to
// processing. Every billing function goes through From(app), so a test can
// point one app at a stand-in (Use) while another stays offline.
type Service struct {
	app    core.App
	cfg    Config
	cfgErr error
	sc     *client.API // nil: offline

	queue *eventQueue
}

// storeKey holds the app's *Service in app.Store().
const storeKey = "cedarheights.billing"

// ErrOffline is returned by the calls that need Stripe when no secret key
// is configured. Routes answer it with 503 and say what works offline.
var ErrOffline = errors.New("billing is offline (STRIPE_SECRET_KEY is not set): card payments and subscriptions are unavailable; an admin records cash, cheque and transfer payments")

// From returns app's billing service, building it from the environment on
// first use.
func From(app core.App) *Service {
	return app.Store().GetOrSet(storeKey, func() any {
		return newService(app, ConfigFromEnv())
	}).(*Service)
}

// Use replaces app's billing service with one built from cfg (tests,
// benchmarks, the CLI's flags) and returns it.
func Use(app core.App, cfg Config) *Service {
	s := newService(app, cfg)
	app.Store().Set(storeKey, s)
	return s
}

func newService(app core.App, cfg Config) *Service {
	s := &Service{app: app, cfg: cfg, cfgErr: cfg.Validate()}
	s.queue = newEventQueue(s)
	if cfg.Mode() == Online && s.cfgErr == nil {
		backend := &stripe.BackendConfig{
			HTTPClient:    &http.Client{Timeout: 30 * time.Second},
			LeveledLogger: stripeLogger{app: app},
		}
		if cfg.APIBase != "" {
			backend.URL = stripe.String(cfg.APIBase)
		}
		s.sc = client.New(cfg.SecretKey, stripe.NewBackendsWithConfig(backend))
	}
	return s
}

// Config is the configuration the service was built from.
func (s *Service) Config() Config { return s.cfg }

// ConfigError is why the configuration cannot work (nil when it can); the
// service then runs offline.
func (s *Service) ConfigError() error { return s.cfgErr }

// Mode is Online when the service talks to Stripe.
func (s *Service) Mode() Mode {
	if s.sc == nil {
		return Offline
	}
	return Online
}

// Online reports whether Stripe calls are possible.
func (s *Service) Online() bool { return s.sc != nil }

// WebhooksEnabled reports whether webhook signatures can be verified; with
// no secret every delivery is refused.
func (s *Service) WebhooksEnabled() bool { return s.cfg.WebhookSecret != "" }

// App is the app the service belongs to.
func (s *Service) App() core.App { return s.app }

// tx runs fn in a transaction whose writes the audit log records as ctx's
// actor (a route passes its caller with audit.ContextWithActor; otherwise
// "system"). Stripe calls never run inside it.
func (s *Service) tx(ctx context.Context, fn func(txApp core.App) error) error {
	return audit.RunInTransaction(s.app, audit.ActorFromContext(ctx), fn)
}

// stripe returns the client or ErrOffline.
func (s *Service) stripe() (*client.API, error) {
	if s.sc == nil {
		return nil, ErrOffline
	}
	return s.sc, nil
}

// stripeLogger sends stripe-go's warnings and errors to the app log (its
// default logger writes to stderr); debug and info are dropped.
type stripeLogger struct{ app core.App }

func (l stripeLogger) Debugf(string, ...any) {}
func (l stripeLogger) Infof(string, ...any)  {}
func (l stripeLogger) Warnf(format string, v ...any) {
	l.app.Logger().Warn("stripe", slog.String("message", fmt.Sprintf(format, v...)))
}
func (l stripeLogger) Errorf(format string, v ...any) {
	l.app.Logger().Error("stripe", slog.String("message", fmt.Sprintf(format, v...)))
}
