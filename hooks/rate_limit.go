package hooks

import (
	"os"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// RateLimitEnv set to "off" disables PocketBase's rate limiter in memory
// each time the settings load (bootstrap and every reload). The stored
// settings keep the limits on (pb_migrations/1764100001_app_settings.go);
// this switch exists for the test suites and the load benchmark, which send
// more requests from one IP than any real client should. Never set it in
// production: the admin UI would show the limiter off and saving the
// settings there would store it off.
const RateLimitEnv = "ACADEMY_RATE_LIMIT"

func bindRateLimitSwitch(app core.App) {
	app.OnSettingsReload().BindFunc(func(e *core.SettingsReloadEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if rateLimitSwitchedOff() {
			e.App.Settings().RateLimits.Enabled = false
		}
		return nil
	})
}

func rateLimitSwitchedOff() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(RateLimitEnv)), "off")
}
