package apispec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Described reports whether path is under the description's scope.
func Described(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || path == "/api/v1" ||
		strings.HasPrefix(path, "/auth/") || path == "/auth"
}

// Checker validates requests and answers against the description and
// collects what does not match.
type Checker struct {
	doc *openapi3.T

	mu         sync.Mutex
	violations []string

	checked atomic.Int64

	onViolation func(string) // also told of each violation, when set

	// AnswersOnly checks the answers alone, for a driver whose requests
	// leave the description on purpose (the HTTP fuzz driver): a request
	// the description rejects may then be accepted.
	AnswersOnly bool
}

// Checked counts the exchanges validated by every Checker of the process.
var Checked atomic.Int64

// maxCheckedBody is the largest body any described route takes (the
// webhook's 1 MiB).
const maxCheckedBody = 1 << 20

var decodersOnce sync.Once

// NewChecker loads the description.
func NewChecker() (*Checker, error) {
	decodersOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	})
	d, err := Doc()
	if err != nil {
		return nil, err
	}
	return &Checker{doc: d}, nil
}

// Violations returns what did not match so far.
func (c *Checker) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violations...)
}

// Checked counts this checker's validated exchanges.
func (c *Checker) Checked() int64 { return c.checked.Load() }

func (c *Checker) report(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.violations = append(c.violations, v)
	c.mu.Unlock()
	if c.onViolation != nil {
		c.onViolation(v)
	}
}

// Middleware is bound on the router before every other middleware, so it
// sees the answers of PocketBase's own gates (401, 413, 429) too. Errors
// returned down the chain are written here with PocketBase's ErrorHandler,
// as the router would, so their body can be checked.
func (c *Checker) Middleware() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "apispecCheck",
		Priority: -1 << 30,
		Func:     c.check,
	}
}

func (c *Checker) check(e *core.RequestEvent) error {
	method, path, ok := strings.Cut(e.Request.Pattern, " ")
	if !ok || !Described(path) || !Described(e.Request.URL.Path) || e.Request.Method == http.MethodHead {
		// the catch-all 404, the static files, PocketBase's own routes
		return e.Next()
	}
	item := c.doc.Paths.Value(path)
	var op *openapi3.Operation
	if item != nil {
		op = item.GetOperation(method)
	}
	if op == nil {
		c.report("%s %s: the route is not in the description (apispec/openapi.yaml)", method, path)
		return e.Next()
	}

	// Only bodies a route could take are read ahead: a larger or unsized one
	// is left to the route (413) unread, as without the checker, and only
	// its answer is checked.
	var body []byte
	readBody := e.Request.ContentLength >= 0 && e.Request.ContentLength <= maxCheckedBody
	if readBody {
		var err error
		if body, err = io.ReadAll(e.Request.Body); err != nil {
			return e.Next()
		}
		// PocketBase's router body rewinds itself at EOF for the handler.
		if _, ok := e.Request.Body.(router.Rereader); !ok {
			e.Request.Body = readCloser{bytes.NewReader(body), e.Request.Body}
		}
	}

	params := map[string]string{}
	for _, p := range item.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = e.Request.PathValue(p.Value.Name)
		}
	}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = e.Request.PathValue(p.Value.Name)
		}
	}
	probe := e.Request.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.RequestValidationInput{
		Request:    probe,
		PathParams: params,
		Route:      &routers.Route{Spec: c.doc, Path: path, PathItem: item, Method: method, Operation: op},
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
			ExcludeRequestBody: !readBody,
		},
	}
	reqErr := openapi3filter.ValidateRequest(context.Background(), input)

	rec := &recorder{ResponseWriter: e.Response}
	e.Response = rec
	err := e.Next()
	e.Response = rec.ResponseWriter
	if err != nil {
		router.ErrorHandler(rec, e.Request, err)
	}

	c.checked.Add(1)
	Checked.Add(1)
	where := method + " " + e.Request.URL.RequestURI()
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	// A request the description rejects must be rejected by the server too;
	// tests send bad input on purpose.
	if reqErr != nil && status < 400 && !c.AnswersOnly {
		c.report("%s: answered %d to a request the description rejects: %v", where, status, reqErr)
	}
	resErr := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		// An answer trimmed by ?fields= is a part of the described one: its
		// status and content type are checked, not its schema.
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			ExcludeResponseBody: e.Request.URL.Query().Has("fields")},
	})
	if resErr == nil && e.Request.URL.Query().Has("fields") &&
		status >= 200 && status < 300 && status != http.StatusNoContent && rec.body.Len() == 0 {
		resErr = fmt.Errorf("an empty answer to ?fields=")
	}
	if resErr != nil {
		c.report("%s: answer %d does not match the description: %v\n  body: %.300s", where, status, resErr, rec.body.String())
	}
	return nil
}

// recorder passes the answer through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets PocketBase's router find its own writer underneath (whether
// the answer was written, its status) and http.ResponseController flush.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// readCloser reads the copy and closes the original body.
type readCloser struct {
	io.Reader
	io.Closer
}
