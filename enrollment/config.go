package enrollment

import (
	"os"
	"time"
)

// Environment variables read when the workflow is registered.
const (
	EnvConfirmTimeout = "ENROLLMENT_CONFIRM_TIMEOUT" // how long a new parent has to confirm the e-mail address
	EnvHold           = "ENROLLMENT_HOLD"            // how long a trial slot stays held while payment setup is pending
)

// Config bounds the run's waits.
type Config struct {
	ConfirmTimeout time.Duration
	Hold           time.Duration
}

// DefaultConfig: two days to confirm the address, half an hour to finish
// the payment setup.
var DefaultConfig = Config{ConfirmTimeout: 48 * time.Hour, Hold: 30 * time.Minute}

// ConfigFromEnv reads the durations (Go syntax, e.g. "48h", "30m"); unset
// or invalid values keep the defaults.
func ConfigFromEnv() Config {
	c := DefaultConfig
	if d, err := time.ParseDuration(os.Getenv(EnvConfirmTimeout)); err == nil && d > 0 {
		c.ConfirmTimeout = d
	}
	if d, err := time.ParseDuration(os.Getenv(EnvHold)); err == nil && d > 0 {
		c.Hold = d
	}
	return c
}
