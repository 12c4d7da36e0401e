package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

const (
	securityHeadersMiddlewareId = "academySecurityHeaders"
	// Right after the request id: before CORS answers preflights and before
	// the rate limiter answers 429, so those responses carry the headers too.
	securityHeadersPriority = requestLogPriority + 1

	// apiCSP: JSON and files never need to load anything; it also keeps an
	// uploaded SVG opened straight from /api/files/ from running scripts.
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
	// pageCSP: the pages in pb_public load only their own scripts, styles,
	// images and API.
	pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
		"form-action 'self'; frame-ancestors 'none'"
	hstsValue = "max-age=31536000"
)

// securityHeaders replaces PocketBase's pbSecurityHeaders middleware
// (nosniff, X-Frame-Options SAMEORIGIN and the obsolete X-XSS-Protection)
// with one set for every response. The admin UI under /_/ keeps the CSP
// PocketBase sets on its own routes (it already has frame-ancestors
// 'none'); a script-src of ours would break it.
func securityHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       securityHeadersMiddlewareId,
		Priority: securityHeadersPriority,
		Func: func(e *core.RequestEvent) error {
			h := e.Response.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			switch path := e.Request.URL.Path; {
			case path == "/_" || strings.HasPrefix(path, "/_/"):
				// PocketBase's admin UI group sets its own CSP.
			case path == "/api" || strings.HasPrefix(path, "/api/"):
				h.Set("Content-Security-Policy", apiCSP)
			default:
				h.Set("Content-Security-Policy", pageCSP)
			}
			// Only over TLS (RFC 6797); behind a TLS-terminating proxy the
			// proxy sets it.
			if e.IsTLS() {
				h.Set("Strict-Transport-Security", hstsValue)
			}
			return e.Next()
		},
	}
}
