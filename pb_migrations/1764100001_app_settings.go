package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The academy's application settings: its name, a log retention that
// covers a fortnight of support questions, and rate limits switched on
// (PocketBase ships with them off). Limits count per client IP; behind a
// reverse proxy set Settings → Trusted proxy so that IP is the client's.
// ACADEMY_RATE_LIMIT=off turns the limiter off in memory for the test
// suites and the benchmark (hooks/rate_limit.go); it never changes these
// stored settings.
func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		s.Meta.AppName = "Cedar Heights Music Academy"
		s.Meta.SenderName = "Cedar Heights Music Academy"
		s.Logs.MaxDays = 14
		s.RateLimits.Enabled = true
		s.RateLimits.Rules = academyRateLimits()
		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		s.RateLimits.Enabled = false
		return app.Save(s)
	})
}

// academyRateLimits are checked per client IP. A path label ending in "/"
// is a prefix and the first matching prefix wins, so specific prefixes come
// before general ones; PocketBase's collection labels ("*:auth" covers
// password, OTP and OAuth2 logins) are matched before any path.
func academyRateLimits() []core.RateLimitRule {
	return []core.RateLimitRule{
		// Logins: slow enough to make password guessing pointless, roomy
		// enough for a family that mistypes a few times.
		{Label: "*:auth", MaxRequests: 10, Duration: 60},
		{Label: "POST /auth/login", MaxRequests: 10, Duration: 60},
		{Label: "/auth/", MaxRequests: 60, Duration: 60},
		// Requests that send mail.
		{Label: "*:requestOTP", MaxRequests: 5, Duration: 300},
		{Label: "*:requestPasswordReset", MaxRequests: 5, Duration: 300},
		{Label: "*:requestVerification", MaxRequests: 5, Duration: 300},
		{Label: "*:requestEmailChange", MaxRequests: 5, Duration: 300},
		// Self sign-up.
		{Label: "users:create", Audience: core.RateLimitRuleAudienceGuest, MaxRequests: 5, Duration: 300},
		{Label: "*:create", MaxRequests: 20, Duration: 5},
		// Anonymous catalogue (teachers, pricing): a visitor browses a few
		// pages a minute; scrapers get throttled.
		{Label: "/api/v1/public/", MaxRequests: 60, Duration: 60},
		{Label: "/api/batch", MaxRequests: 3, Duration: 1},
		{Label: "/api/", MaxRequests: 300, Duration: 10},
		{Label: "/", MaxRequests: 600, Duration: 60},
	}
}
