package billing

import (
	"errors"
	"net/url"
	"os"
	"strings"

	"github.com/stripe/stripe-go/v76"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvSecretKey     = "STRIPE_SECRET_KEY"
	EnvWebhookSecret = "STRIPE_WEBHOOK_SECRET"
	EnvAPIBase       = "STRIPE_API_BASE"
	// EnvPublishableKey is handed to the family's browser (Stripe.js) with
	// a pending payment's client secret; optional.
	EnvPublishableKey = "STRIPE_PUBLISHABLE_KEY"
)

// Mode says whether the academy talks to Stripe.
type Mode string

const (
	Online  Mode = "online"
	Offline Mode = "offline"
)

// Config is the Stripe configuration of one process.
type Config struct {
	SecretKey     string
	WebhookSecret string
	APIBase       string // empty: Stripe's own API
	// PublishableKey (pk_...) is public by design; empty: not handed out.
	PublishableKey string
}

// ConfigFromEnv reads STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and
// STRIPE_API_BASE.
func ConfigFromEnv() Config {
	return Config{
		SecretKey:      strings.TrimSpace(os.Getenv(EnvSecretKey)),
		WebhookSecret:  strings.TrimSpace(os.Getenv(EnvWebhookSecret)),
		APIBase:        strings.TrimSpace(os.Getenv(EnvAPIBase)),
		PublishableKey: strings.TrimSpace(os.Getenv(EnvPublishableKey)),
	}
}

// Mode is Online when a secret key is set.
func (c Config) Mode() Mode {
	if c.SecretKey == "" {
		return Offline
	}
	return Online
}

// Validate reports a configuration that cannot work; an empty one is valid
// (offline).
func (c Config) Validate() error {
	if c.APIBase == "" {
		return nil
	}
	u, err := url.Parse(c.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New(EnvAPIBase + " must be an absolute http(s) URL")
	}
	return nil
}

// Configure points stripe-go's process-wide key and API backend at cfg and
// returns the resulting mode. Calling it again replaces the previous
// configuration (an empty APIBase restores Stripe's default backend).
func Configure(cfg Config) Mode {
	stripe.Key = cfg.SecretKey
	if cfg.APIBase != "" {
		stripe.SetBackend(stripe.APIBackend, stripe.GetBackendWithConfig(
			stripe.APIBackend,
			&stripe.BackendConfig{URL: stripe.String(cfg.APIBase)},
		))
	} else {
		stripe.SetBackend(stripe.APIBackend, nil) // rebuilt lazily with the defaults
	}
	return cfg.Mode()
}
