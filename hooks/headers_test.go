package hooks_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/ui"

	"cedarheights/hooks"
	"cedarheights/internal/testapp"
)

var generatedRequestID = regexp.MustCompile(`^[a-z0-9]{20}$`)

// headerWant is what a response's headers must hold; "" means absent.
type headerWant map[string]string

const (
	anyValue   = "*"
	apiCSP     = "default-src 'none'; frame-ancestors 'none'"
	pageCSPHas = "default-src 'self'"
)

func TestHeadersOnEveryResponse(t *testing.T) {
	t.Setenv(hooks.PublicDirEnv, "../pb_public")
	f := testapp.Get(t)
	common := headerWant{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
		"X-Xss-Protection":       "", // PocketBase's obsolete header is replaced
	}
	cases := []struct {
		name, method, url string
		headers           map[string]string
		status            int
		content           string
		want              headerWant
	}{
		{"API JSON", "GET", "/api/health", nil, 200, `"code":200`,
			headerWant{"Content-Security-Policy": apiCSP, "Strict-Transport-Security": "", "X-Request-Id": "generated"}},
		{"API error", "GET", "/api/collections/students/records/nope", map[string]string{"Authorization": f.ParentA.Token}, 404, `"status":404`,
			headerWant{"Content-Security-Policy": apiCSP, "X-Request-Id": "generated"}},
		{"pb_public page", "GET", "/", nil, 200, "Cedar Heights Music Academy",
			headerWant{"Content-Security-Policy": pageCSPHas, "X-Request-Id": "generated"}},
		{"pb_public miss", "GET", "/no-such-page.html", nil, 404, `"status":404`,
			headerWant{"Content-Security-Policy": pageCSPHas}},
		{"health route", "GET", "/health", nil, 200, `"status":"`,
			headerWant{"Content-Security-Policy": pageCSPHas}},
		{"inbound request id is echoed", "GET", "/api/health", map[string]string{"X-Request-Id": "lb-7f3a:42"}, 200, `"code":200`,
			headerWant{"X-Request-Id": "lb-7f3a:42"}},
		{"unsafe request id is replaced", "GET", "/api/health", map[string]string{"X-Request-Id": "<script>alert(1)</script>"}, 200, `"code":200`,
			headerWant{"X-Request-Id": "generated"}},
		{"overlong request id is replaced", "GET", "/api/health", map[string]string{"X-Request-Id": strings.Repeat("a", 65)}, 200, `"code":200`,
			headerWant{"X-Request-Id": "generated"}},
		{"HSTS over TLS only", "GET", "https://academy.example/api/health", nil, 200, `"code":200`,
			headerWant{"Strict-Transport-Security": "max-age=31536000"}},
	}
	if ui.DistDirFS != nil {
		// The admin UI keeps PocketBase's own CSP (it has frame-ancestors 'none').
		cases = append(cases, struct {
			name, method, url string
			headers           map[string]string
			status            int
			content           string
			want              headerWant
		}{"admin UI", "GET", "/_/extensions.js", nil, 200, "", headerWant{"Content-Security-Policy": "frame-ancestors 'none'"}})
	}
	var scenarios []tests.ApiScenario
	for _, c := range cases {
		want := headerWant{}
		for k, v := range common {
			want[k] = v
		}
		for k, v := range c.want {
			want[k] = v
		}
		s := tests.ApiScenario{
			Name: c.name, Method: c.method, URL: c.url, Headers: c.headers,
			ExpectedStatus: c.status,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				checkHeaders(t, res.Header, want)
			},
		}
		if c.content != "" {
			s.ExpectedContent = []string{c.content}
		}
		scenarios = append(scenarios, s)
	}
	apiRun(t, scenarios)
}

func checkHeaders(t testing.TB, h http.Header, want headerWant) {
	t.Helper()
	for name, value := range want {
		got, present := h.Get(name), len(h.Values(name)) > 0
		switch {
		case value == "":
			if present {
				t.Errorf("%s = %q, want none", name, got)
			}
		case value == anyValue:
			if !present {
				t.Errorf("%s missing", name)
			}
		case value == "generated":
			if !generatedRequestID.MatchString(got) {
				t.Errorf("%s = %q, want a generated id", name, got)
			}
		case name == "Content-Security-Policy" && value != apiCSP:
			if !strings.Contains(got, value) || !strings.Contains(got, "frame-ancestors 'none'") {
				t.Errorf("%s = %q, want it to contain %q and frame-ancestors 'none'", name, got, value)
			}
		case got != value:
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}
