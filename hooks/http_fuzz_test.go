package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/logger"
	"github.com/stripe/stripe-go/v76/webhook"

	"cedarheights/billing"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// http_fuzz_test.go: a seeded generator of bad requests against the server
// wired like production (served over a real listener, billing pointed at
// the Stripe stand-in, the workflow engine running). It covers every line
// of the routes table (read from wiring.Routes(), so a new route is covered
// without editing this file), PocketBase's record API for every collection
// of ours, the users auth routes and /api/batch, as anonymous, parent,
// teacher, admin, superuser and garbage tokens. It asserts that no answer
// is a 5xx (PocketBase turns a handler's panic into a 500, so this also
// catches panics, and the server log is searched for them), and that every
// 4xx is PocketBase's error shape {status, message, data} whose data names
// fields as {code, message}. The same seed makes the same requests:
//
//	HTTP_FUZZ_SEED=7 HTTP_FUZZ_N=20000 go test -count=1 -run TestHTTPFuzz -v ./hooks/

const (
	httpFuzzDefaultSeed = 13
	httpFuzzDefaultN    = 2400
	httpFuzzClients     = 4
)

// subscribeForReal gives the fixture enrollment A1 a subscription the Stripe
// stand-in knows (the fixture's "sub_a1" exists only in the database), so
// the subscription routes reach Stripe as they would in production.
func subscribeForReal(t *testing.T, app core.App, base string, f *testapp.Fixtures) {
	t.Helper()
	if _, err := billing.From(app).SyncPrices(context.Background()); err != nil {
		t.Fatal(err)
	}
	enrollment := testapp.Record(t, app, "enrollments", f.EnrollmentA1)
	enrollment.Set("stripe_subscription_id", "")
	if err := app.Save(enrollment); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/enrollments/"+f.EnrollmentA1+"/subscription", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", f.Admin.Token)
	req.Header.Set("Idempotency-Key", "fuzz-setup")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("subscribe enrollment A1: %d %s", res.StatusCode, raw)
	}
}

func TestHTTPFuzz(t *testing.T) {
	seed := envUint(t, "HTTP_FUZZ_SEED", httpFuzzDefaultSeed)
	n := int(envUint(t, "HTTP_FUZZ_N", httpFuzzDefaultN))
	t.Logf("HTTP fuzz: seed %d, %d requests (HTTP_FUZZ_SEED, HTTP_FUZZ_N)", seed, n)

	// These requests step outside the description on purpose: the answers
	// alone are held to it (and checked here for their shape).
	app, f := testapp.NewAnswersChecked(t, wiring.WithEngineOptions(workflows.Options{
		PollInterval: 50 * time.Millisecond, Lease: 3 * time.Second, ShutdownGrace: time.Second,
		MailInterval: 100 * time.Millisecond, NoSchedules: true,
	}))
	app.Settings().Logs.MaxDays = 1 // the test app keeps no log; the server log is read below
	billingOnline(t, app)
	srv := testapp.Serve(t, app)
	subscribeForReal(t, app, srv.URL, f)

	g := newFuzzGen(seed, f, fuzzTargets(t, app))
	// Some requests are validly signed Stripe deliveries of garbage events.
	g.signWebhook = func(payload []byte) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: apiWebhookSecret}).Header
	}
	requests := make([]fuzzRequest, n)
	for i := range requests {
		requests[i] = g.next(i)
	}

	// The requests are made in order by a few clients at once (the answers
	// may depend on the interleaving; the requests do not).
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	type answer struct {
		status int
		header http.Header
		body   []byte
		err    error
	}
	answers := make([]answer, n)
	started := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range httpFuzzClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				req, err := requests[i].build(srv.URL)
				if err != nil {
					answers[i].err = err
					continue
				}
				res, err := client.Do(req)
				if err != nil {
					answers[i].err = err
					continue
				}
				raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
				res.Body.Close()
				answers[i] = answer{status: res.StatusCode, header: res.Header, body: raw}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)

	perRoute := map[string]map[int]int{}
	statuses := map[int]int{}
	unnamed := map[string]int{} // 400s whose data names no field, by route and message
	var failures []string
	fail := func(format string, args ...any) {
		if len(failures) < 40 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	for i, fr := range requests {
		a := answers[i]
		if a.err != nil {
			fail("#%d %s %s: no answer: %v", i, fr.method, fr.target(), a.err)
			continue
		}
		if perRoute[fr.label] == nil {
			perRoute[fr.label] = map[int]int{}
		}
		perRoute[fr.label][a.status]++
		statuses[a.status]++

		if a.status >= 500 {
			fail("#%d %s %.300s as %s: %d %.300s\n  body sent: %.300q", i, fr.method, fr.target(), fr.who, a.status, a.body, fr.body)
			continue
		}
		if a.status >= 400 && fr.method != http.MethodHead {
			if a.status == http.StatusBadRequest && bytes.Contains(a.body, []byte(`"data":{}`)) {
				unnamed[fmt.Sprintf("%s: %.80s", fr.label, jsonMessage(a.body))]++
			}
			if problem := errorShapeProblem(a.status, a.header, a.body); problem != "" {
				fail("#%d %s %.300s as %s: %d %s: %.300s\n  body sent: %.300q", i, fr.method, fr.target(), fr.who, a.status, problem, a.body, fr.body)
			}
		}
	}

	// The server log: every error it wrote, and no panic.
	if h, ok := app.Logger().Handler().(*logger.BatchHandler); ok {
		if err := h.WriteAll(context.Background()); err != nil {
			t.Logf("flush the log: %v", err)
		}
	}
	logErrors := map[string]int{}
	var logs []*core.Log
	err := app.LogQuery().AndWhere(dbx.NewExp("level >= {:level}", dbx.Params{"level": int(slog.LevelError)})).Limit(10000).All(&logs)
	if err == nil {
		for _, l := range logs {
			// PocketBase logs every refused request as an error: only the
			// 5xx and whatever is not a request line are listed
			if status, ok := l.Data["status"].(float64); ok && status < 500 {
				continue
			}
			raw, _ := json.Marshal(l.Data)
			line := l.Message + " " + string(raw)
			logErrors[fmt.Sprintf("%.600s", line)]++
			if strings.Contains(strings.ToLower(line), "panic") {
				fail("server log: %s", line)
			}
		}
	} else {
		t.Logf("read the server log: %v", err)
	}

	printHTTPFuzzSummary(t, seed, n, elapsed, perRoute, statuses, logErrors, unnamed)
	for _, f := range failures {
		t.Error(f)
	}
}

// errorShapeProblem says how a 4xx answer is not PocketBase's error shape,
// or "".
func errorShapeProblem(status int, header http.Header, raw []byte) string {
	if !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		return "not JSON (" + header.Get("Content-Type") + ")"
	}
	var body struct {
		Status  *float64        `json:"status"`
		Message *string         `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return "unreadable JSON: " + err.Error()
	}
	if body.Status == nil || int(*body.Status) != status {
		return "status missing or not the answer's"
	}
	if body.Message == nil || *body.Message == "" {
		return "no message"
	}
	var data map[string]any
	if err := json.Unmarshal(body.Data, &data); err != nil || data == nil {
		return "data is not an object"
	}
	// our routes' field refusals always say which field
	if len(data) == 0 && (*body.Message == "Invalid submitted data." || *body.Message == "Invalid query parameters.") {
		return "a field refusal that names no field"
	}
	for key, item := range data {
		if p := fieldErrorProblem(key, item); p != "" {
			return p
		}
	}
	return ""
}

// fieldErrorProblem: a field's error is {code, message} or a map of nested
// fields' errors. Some routes add plain extra keys next to the fields
// (alternatives, conflicts): lists and scalars are left alone.
func fieldErrorProblem(key string, item any) string {
	m, ok := item.(map[string]any)
	if !ok {
		return ""
	}
	if code, ok := m["code"]; ok {
		if c, _ := code.(string); c == "" {
			return fmt.Sprintf("data.%s has an empty code", key)
		}
		if msg, _ := m["message"].(string); msg == "" {
			return fmt.Sprintf("data.%s has no message", key)
		}
		return ""
	}
	for sub, v := range m {
		if p := fieldErrorProblem(key+"."+sub, v); p != "" {
			return p
		}
	}
	return ""
}

func printHTTPFuzzSummary(t *testing.T, seed uint64, n int, elapsed time.Duration, perRoute map[string]map[int]int, statuses map[int]int, logErrors, unnamed map[string]int) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP fuzz: seed %d, %d requests to %d routes in %.1f s (%.0f req/s)\n", seed, n, len(perRoute), elapsed.Seconds(), float64(n)/elapsed.Seconds())
	fmt.Fprintf(&b, "  statuses: %s\n", statusLine(statuses))
	labels := make([]string, 0, len(perRoute))
	for l := range perRoute {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		total := 0
		for _, c := range perRoute[l] {
			total += c
		}
		fmt.Fprintf(&b, "  %-62s %4d  %s\n", l, total, statusLine(perRoute[l]))
	}
	if len(unnamed) > 0 {
		fmt.Fprintf(&b, "  400s that name no field (the request was not readable as fields):\n")
		for _, line := range slices.Sorted(maps.Keys(unnamed)) {
			fmt.Fprintf(&b, "    %4d× %s\n", unnamed[line], line)
		}
	}
	if len(logErrors) > 0 {
		fmt.Fprintf(&b, "  server log errors:\n")
		for line, c := range logErrors {
			fmt.Fprintf(&b, "    %4d× %s\n", c, line)
		}
	}
	if testing.Verbose() || os.Getenv("HTTP_FUZZ_SUMMARY") != "" {
		fmt.Fprint(os.Stderr, b.String())
	} else {
		t.Logf("HTTP fuzz: seed %d, %d requests to %d routes in %.1f s; statuses %s", seed, n, len(perRoute), elapsed.Seconds(), statusLine(statuses))
	}
}

func jsonMessage(raw []byte) string {
	var body struct{ Message string }
	json.Unmarshal(raw, &body)
	return body.Message
}

func statusLine(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", c, m[c])
	}
	return strings.Join(parts, " ")
}

func envUint(t *testing.T, name string, fallback uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return fallback
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// ---------------------------------------------------------------------
// What is fuzzed

// fuzzTarget is one route: its method, path (with {placeholders}), the
// label the summary counts it under, and the body limit.
type fuzzTarget struct {
	label, method, path string
	body                int64
	record              bool // PocketBase's record API: filter, sort, expand, fields
}

// fuzzTargets: the routes table, then the record API of every collection
// of ours, the users auth routes and the batch route.
func fuzzTargets(t *testing.T, app core.App) []fuzzTarget {
	var out []fuzzTarget
	for _, r := range wiring.Routes() {
		out = append(out, fuzzTarget{label: r.Method + " " + r.Path, method: r.Method, path: r.Path, body: r.Body})
	}
	collections, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range collections {
		if c.System || strings.HasPrefix(c.Name, "_") {
			continue
		}
		base := "/api/collections/" + c.Name + "/records"
		for _, op := range []struct{ method, path string }{
			{http.MethodGet, base}, {http.MethodPost, base}, {http.MethodGet, base + "/{id}"},
			{http.MethodPatch, base + "/{id}"}, {http.MethodDelete, base + "/{id}"},
		} {
			out = append(out, fuzzTarget{label: op.method + " " + op.path, method: op.method, path: op.path, record: true})
		}
	}
	for _, p := range []string{"auth-with-password", "auth-refresh", "request-password-reset", "confirm-password-reset",
		"request-verification", "confirm-verification", "request-otp", "auth-with-otp", "request-email-change"} {
		out = append(out, fuzzTarget{label: "POST /api/collections/users/" + p, method: http.MethodPost, path: "/api/collections/users/" + p})
	}
	out = append(out,
		fuzzTarget{label: "GET /api/collections/users/auth-methods", method: http.MethodGet, path: "/api/collections/users/auth-methods"},
		fuzzTarget{label: "POST /api/batch", method: http.MethodPost, path: "/api/batch"},
	)
	return out
}

// fuzzRequest is one generated request.
type fuzzRequest struct {
	label, who, method, path string
	query                    string
	header                   http.Header
	body                     []byte
}

func (fr fuzzRequest) target() string {
	if fr.query == "" {
		return fr.path
	}
	return fr.path + "?" + fr.query
}

func (fr fuzzRequest) build(base string) (*http.Request, error) {
	req, err := http.NewRequest(fr.method, base+fr.path, bytes.NewReader(fr.body))
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = fr.query
	for k, v := range fr.header {
		req.Header[k] = v
	}
	return req, nil
}

// fuzzGen makes the requests: request i goes to target i mod len(targets)
// (so every route gets its share), everything else is drawn from the
// seeded source.
type fuzzGen struct {
	r           *rand.Rand
	targets     []fuzzTarget
	ids         []string
	who         []struct{ name, token string }
	signWebhook func([]byte) string
}

func newFuzzGen(seed uint64, f *testapp.Fixtures, targets []fuzzTarget) *fuzzGen {
	g := &fuzzGen{r: rand.New(rand.NewPCG(seed, 0x13f022)), targets: targets}
	g.ids = []string{f.TeacherX, f.TeacherY, f.TeacherHidden, f.StudentA1, f.StudentA2, f.StudentADeleted, f.StudentB1,
		f.LessonA1, f.LessonB1, f.EnrollmentA1, f.EnrollmentB1, f.PaymentA, f.PaymentB, f.PlanPublic, f.PlanHidden,
		f.Piano, f.Room, f.AvailabilityX, f.Closure, f.ParentA.ID, f.ParentB.ID, f.Admin.ID, f.TeacherXUser.ID}
	g.who = []struct{ name, token string }{
		{"anonymous", ""}, {"parent", f.ParentA.Token}, {"parent", f.ParentB.Token}, {"teacher", f.TeacherXUser.Token},
		{"admin", f.Admin.Token}, {"superuser", f.Superuser.Token},
	}
	return g
}

func (g *fuzzGen) pick(items []string) string { return items[g.r.IntN(len(items))] }
func (g *fuzzGen) chance(p float64) bool      { return g.r.Float64() < p }

// junk are strings that have broken parsers somewhere: injections, dates
// and rules that do not exist, unicode, invalid UTF-8, sizes.
var junk = []string{
	"", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "undefined",
	"' OR 1=1 --", `" OR ""="`, "1; DROP TABLE students; --", "x' UNION SELECT password FROM users --",
	"id != '' || 1=1", "@request.auth.id != ''", "@collection.users.email ?~ '@'", "@request.body.role = 'admin'",
	"students_via_parent.lessons_via_student.teacher.user.email ?~ 'a'", "((((((((((((((((((((((((((((((", "id ~ '%'",
	"é", "😀", "\u202e\u0301", "\x00", "\xff\xfe\xfd", "a\x80b", "\xed\xa0\x80", "ｓｔｕｄｅｎｔ", "%00", "%zz", "../../../../etc/passwd",
	"<script>alert(1)</script>", "${jndi:ldap://x}", "{{7*7}}",
	"2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31T23:59:59Z", "-0001-01-01", "2026-03-08T02:30", "2026-11-01T01:30",
	"24:01", "23:60", "9:5", "1700000000", "now",
	"FREQ=SECONDLY;COUNT=5", "FREQ=WEEKLY;UNTIL=20200101T000000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
	"FREQ=WEEKLY;COUNT=61", "FREQ=WEEKLY;INTERVAL=0;COUNT=3", "FREQ=YEARLY;BYSETPOS=400;COUNT=2", "DTSTART:19000101T000000Z",
	"aaaaaaaaaaaaaaa", "AAAAAAAAAAAAAAA", "nosuchrecord01x", "pm_card_visa", "pm_card_chargeDeclined", "pi_" + strings.Repeat("x", 300),
}

// sized are long strings (built once).
var sized = []string{strings.Repeat("a", 5000), strings.Repeat("é", 70000), strings.Repeat("😀", 300)}

func (g *fuzzGen) junkString() string {
	switch {
	case g.chance(0.04):
		return g.pick(sized)
	case g.chance(0.25):
		return g.pick(g.ids)
	case g.chance(0.1):
		return time.Date(2026, time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), g.r.IntN(24), 15*g.r.IntN(4), 0, 0, time.UTC).Format(g.pick([]string{time.RFC3339, "2006-01-02", "2006-01-02 15:04:05.000Z", "2006-01-02T15:04"}))
	}
	return g.pick(junk)
}

// junkValue is any JSON value of the wrong (or right) type.
func (g *fuzzGen) junkValue(depth int) any {
	switch g.r.IntN(12) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return []float64{0, -1, 30, 45, 1.5, 1e15, 1e300, -1e300, 9007199254740993, 0.0000001}[g.r.IntN(10)]
	case 3:
		if depth < 3 {
			l := make([]any, g.r.IntN(4))
			for i := range l {
				l[i] = g.junkValue(depth + 1)
			}
			return l
		}
	case 4:
		if depth < 3 {
			return g.junkObject(depth + 1)
		}
	}
	return g.junkString()
}

// fieldNames are the body fields of the routes and collections.
var fieldNames = []string{
	"teacher", "student", "instrument", "room", "start", "end", "minutes", "kind", "recurrence", "dry_run", "limit",
	"windows", "weekday", "start_time", "end_time", "valid_from", "valid_to", "parent", "plan", "trial", "match_me",
	"payment_method", "website", "amount", "currency", "method", "family", "enrollment", "reason", "note", "notes",
	"cancelled_by", "name", "first_name", "last_name", "birth_date", "status", "level", "email", "password",
	"passwordConfirm", "identity", "role", "token", "otpId", "input", "subject", "event", "key", "payload", "idempotency_key",
	"display_name", "bio", "instruments", "lesson_lengths", "capacity", "public", "active", "deleted", "id", "created",
	"requests", "url", "body", "teacher_notes", "scope", "kind_of", "feed", "plan_id", "wait", "count", "until", "rrule",
}

func (g *fuzzGen) junkObject(depth int) map[string]any {
	m := map[string]any{}
	for range 1 + g.r.IntN(6) {
		name := g.pick(fieldNames)
		if g.chance(0.05) {
			name = g.junkString()
		}
		m[name] = g.junkValue(depth)
	}
	return m
}

// templates are nearly valid bodies per path: one or two fields are then
// broken, so requests get past the first check into the handlers.
func (g *fuzzGen) template(path string) map[string]any {
	next := time.Now().UTC().AddDate(0, 0, 8+g.r.IntN(20)).Format("2006-01-02") + "T16:00"
	ids := g.ids
	switch {
	case strings.HasSuffix(path, "/lessons"), strings.HasSuffix(path, "/check-conflicts"):
		m := map[string]any{"teacher": ids[0], "student": ids[3], "start": next, "minutes": 30}
		if g.chance(0.5) {
			m["recurrence"] = map[string]any{"count": 4, "rrule": g.pick([]string{"", "FREQ=WEEKLY;COUNT=3", "FREQ=WEEKLY;UNTIL=20200101T000000Z"})}
		}
		return m
	case strings.Contains(path, "/lessons/{id}"):
		return map[string]any{"start": next, "minutes": 45, "reason": "sick", "cancelled_by": "parent"}
	case strings.HasSuffix(path, "/availability"):
		return map[string]any{"windows": []any{map[string]any{"weekday": 1, "start_time": "15:00", "end_time": "19:00"}}}
	case strings.Contains(path, "enrollments"):
		return map[string]any{
			"parent":  map[string]any{"name": "Pat", "email": "pat@example.com", "password": "a-long-password"},
			"student": map[string]any{"first_name": "Kim", "last_name": "Lee", "birth_date": "2016-04-02", "instrument": ids[15]},
			"plan":    ids[13], "trial": map[string]any{"teacher": ids[0], "start": next + ":00Z"},
		}
	case strings.Contains(path, "/students"):
		return map[string]any{"first_name": "Kim", "last_name": "Lee", "parent": ids[19], "status": "prospect", "birth_date": "2016-04-02"}
	case strings.Contains(path, "/payments"):
		return map[string]any{"family": ids[19], "amount": 5000, "currency": "cad", "method": "cash", "kind": "tuition", "reason": "x"}
	case strings.Contains(path, "/workflows"):
		return map[string]any{"name": "lesson_reminders", "input": map[string]any{"from": "2030-01-01T00:00:00Z"}, "subject": ids[7], "event": "x", "key": "k"}
	case strings.Contains(path, "auth"):
		return map[string]any{"identity": "parent.a@cedarheights.test", "password": "wrong-password"}
	}
	return g.junkObject(0)
}

// next is request i.
func (g *fuzzGen) next(i int) fuzzRequest {
	t := g.targets[i%len(g.targets)]
	fr := fuzzRequest{label: t.label, method: t.method, header: http.Header{}}

	// who: a fixture account, nobody, or a token that is not one
	w := g.who[g.r.IntN(len(g.who))]
	fr.who = w.name
	switch {
	case g.chance(0.1):
		fr.who = "garbage token"
		fr.header.Set("Authorization", g.pick([]string{"Bearer x", "null", "eyJhbGciOiJub25lIn0.eyJpZCI6IngifQ.", w.token + "x",
			"Basic YWRtaW46YWRtaW4=", strings.Repeat("A", 8000), "\xff\xfe", w.token + " " + w.token}))
	case w.token != "":
		fr.header.Set("Authorization", w.token)
	}

	// the money routes want an Idempotency-Key
	if g.chance(0.5) {
		fr.header.Set("Idempotency-Key", g.pick([]string{"k1", "k2", fmt.Sprint(i), "", strings.Repeat("k", 500), "\xff"}))
	}

	// a wrong method now and then
	if g.chance(0.07) {
		fr.method = g.pick([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodHead, "PROPFIND"})
	}

	// the path's placeholders
	fr.path = t.path
	for _, ph := range []string{"{id}", "{file}", "{token}"} {
		if strings.Contains(fr.path, ph) {
			fr.path = strings.ReplaceAll(fr.path, ph, url.PathEscape(g.pathValue(ph)))
		}
	}

	fr.query = g.query(t)
	fr.body, fr.header = g.body(t, fr.header)
	return fr
}

func (g *fuzzGen) pathValue(ph string) string {
	switch {
	case ph == "{file}" && g.chance(0.6):
		return g.pick([]string{"x", strings.Repeat("a", 40), "", "..", "%00", "é"}) + g.pick([]string{".ics", ".ICS", "", ".ics.ics", ".json"})
	case g.chance(0.5):
		return g.pick(g.ids)
	}
	return g.junkString()
}

// queryNames are the query parameters of the routes and the record API.
var queryNames = []string{
	"page", "per_page", "perPage", "sort", "skip_total", "skipTotal", "filter", "expand", "fields", "status", "q", "teacher",
	"student", "instrument", "parent", "include_deleted", "from", "to", "date", "view", "scope", "wait", "limit", "minutes",
	"kind", "method", "family", "enrollment", "name", "subject", "owner", "step", "room", "series", "plan", "level",
}

var recordFilters = []string{
	"id = ''", "id != '' || 1=1", "1=1) UNION SELECT * FROM users --", "@request.auth.role = 'admin'", "email ?~ '@'",
	"password != ''", "tokenKey != ''", "parent.email ~ 'a'", "student.parent.email ~ '@'", "lessons_via_student.id != ''",
	"students_via_parent.lessons_via_student.teacher.user.email ?~ 'a'", "@collection.payments.amount > 0",
	"created > '2026-01-01' && created < @now", "name ~ '%' && (", strings.Repeat("(", 300) + "1=1" + strings.Repeat(")", 300),
	strings.Repeat("id != 'x' && ", 400) + "1=1", "amount > 1e309", "start > @todayStart", "x:each ?= 1", "teacher:length > 0",
}

// queryTemplate is a nearly valid query per path (one value is then
// broken), so list and range parameters get past their first check.
func (g *fuzzGen) queryTemplate(path string) url.Values {
	day := time.Now().UTC().AddDate(0, 0, 7+g.r.IntN(60))
	switch {
	case strings.HasSuffix(path, "/public/timeslots"):
		return url.Values{"instrument": {g.ids[15]}, "teacher": {g.ids[0]}, "from": {day.Format(time.DateOnly)},
			"to": {day.AddDate(0, 0, g.r.IntN(40)).Format(time.DateOnly)}, "minutes": {"30"}, "step": {"15"}}
	case strings.HasSuffix(path, "/schedule/view"):
		return url.Values{"view": {g.pick([]string{"week", "month"})}, "date": {day.Format(time.DateOnly)}, "teacher": {g.ids[0]}}
	case strings.HasSuffix(path, "/enrollments/match"):
		return url.Values{"instrument": {g.ids[15]}, "student": {g.ids[3]}, "minutes": {"30"}}
	case strings.HasSuffix(path, "/lessons"), strings.HasSuffix(path, "/students"), strings.HasSuffix(path, "/payments"),
		strings.HasSuffix(path, "/teachers"), strings.HasSuffix(path, "/runs"):
		return url.Values{"page": {"1"}, "per_page": {"50"}, "sort": {g.pick([]string{"-created", "name", "start", "amount"})}, "from": {day.Format(time.DateOnly)}}
	}
	return url.Values{}
}

func (g *fuzzGen) query(t fuzzTarget) string {
	q := url.Values{}
	if g.chance(0.5) {
		q = g.queryTemplate(t.path)
		if keys := slices.Sorted(maps.Keys(q)); len(keys) > 0 {
			q.Set(g.pick(keys), g.junkString())
		}
	}
	for range g.r.IntN(4) {
		name := g.pick(queryNames)
		value := g.junkString()
		if t.record && g.chance(0.5) {
			switch g.pick([]string{"filter", "sort", "expand", "fields", "page", "perPage"}) {
			case "filter":
				name, value = "filter", g.pick(recordFilters)
			case "sort":
				name, value = "sort", g.pick([]string{"-created", "@random", "password", "tokenKey", "-parent.email", "id,", "-@rowid", strings.Repeat("id,", 200) + "id"})
			case "expand":
				name, value = "expand", g.pick([]string{"parent", "student.parent", "lessons_via_student.teacher.user", strings.Repeat("parent.", 20) + "parent", "x,y,z"})
			case "fields":
				name, value = "fields", g.pick([]string{"*", "id,password", "expand.parent.email", "*:excerpt(99999999,true)", "id:excerpt(-1)"})
			case "page":
				name, value = "page", g.pick([]string{"0", "-1", "99999999999999999999", "1.5", "x"})
			case "perPage":
				name, value = "perPage", g.pick([]string{"0", "-1", "100000", "1e9"})
			}
		}
		q.Add(name, value)
	}
	out := q.Encode()
	if g.chance(0.05) {
		out += g.pick([]string{"&%zz=1", "&=&&", "&a=%ff%fe", ";x=1", "&" + strings.Repeat("p=1&", 500)})
	}
	return out
}

// body draws the request's body and its content type.
func (g *fuzzGen) body(t fuzzTarget, h http.Header) ([]byte, http.Header) {
	jsonBody := func(v any) []byte {
		raw, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return raw
	}
	setJSON := func() { h.Set("Content-Type", "application/json") }
	switch k := g.r.IntN(100); {
	case t.method == http.MethodGet && k < 70:
		return nil, h
	case strings.HasSuffix(t.path, "/stripe/webhooks") && k < 40 && g.signWebhook != nil:
		// a validly signed delivery of a broken event
		ev := map[string]any{"id": g.junkValue(2), "object": "event", "api_version": "2023-10-16", "type": g.pick([]string{"invoice.paid", "charge.refunded", "payment_intent.succeeded", "customer.subscription.updated", "charge.dispute.created", "checkout.session.completed", g.junkString()}),
			"created": g.junkValue(2), "data": map[string]any{"object": g.junkObject(0)}}
		if g.chance(0.7) { // most pass the decode and reach the store
			ev["id"] = fmt.Sprintf("evt_fuzz_%d", g.r.IntN(1_000_000))
			ev["created"] = time.Now().Unix() - int64(g.r.IntN(100_000))
		}
		if g.chance(0.5) {
			obj := ev["data"].(map[string]any)["object"].(map[string]any)
			obj["id"] = g.pick([]string{"in_1", "pi_a", "ch_1", "sub_a1", "cus_1", "dp_1", "cs_1"})
			obj["object"] = g.pick([]string{"invoice", "payment_intent", "charge", "subscription", "dispute", "checkout.session"})
		}
		raw := jsonBody(ev)
		setJSON()
		h.Set("Stripe-Signature", g.signWebhook(raw))
		return raw, h
	case k < 45:
		m := g.template(t.path)
		for range 1 + g.r.IntN(2) {
			keys := make([]string, 0, len(m))
			for key := range m {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			if len(keys) > 0 {
				m[g.pick(keys)] = g.junkValue(0)
			}
		}
		if strings.HasSuffix(t.path, "/api/batch") {
			m = g.batch()
		}
		setJSON()
		return jsonBody(m), h
	case k < 62:
		setJSON()
		return jsonBody(g.junkObject(0)), h
	case k < 66: // deeply nested
		setJSON()
		depth := 50 + g.r.IntN(20000)
		open, closeB := "[", "]"
		if g.chance(0.5) {
			open, closeB = `{"a":`, "}"
		}
		return []byte(`{"windows":` + strings.Repeat(open, depth) + "1" + strings.Repeat(closeB, depth) + "}"), h
	case k < 72: // not JSON at all, or invalid UTF-8
		setJSON()
		return []byte(g.pick([]string{"{", "{\"a\":\"\xff\"}", "\xff\xfe\x00\x01", "{'a':1}", `{"a":1,}`, "[1,2", `{"a":1} {"b":2}`, `"str"`, "123", "null", "[]"})), h
	case k < 75: // over the limit
		setJSON()
		limit := t.body
		if limit == 0 {
			limit = 64 << 10
		}
		return append(append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), int(limit))...), '"', '}'), h
	case k < 81:
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		v := url.Values{}
		for key, val := range g.junkObject(1) {
			v.Set(key, fmt.Sprint(val))
		}
		return []byte(v.Encode()), h
	case k < 85:
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for key, val := range g.junkObject(1) {
			w.WriteField(key, fmt.Sprint(val))
		}
		if g.chance(0.5) {
			fw, _ := w.CreateFormFile("avatar", "x.png")
			fw.Write([]byte("\x89PNG\r\n\x1a\n not really"))
		}
		w.Close()
		h.Set("Content-Type", g.pick([]string{w.FormDataContentType(), "multipart/form-data", "multipart/form-data; boundary=nope"}))
		return buf.Bytes(), h
	case k < 92:
		h.Set("Content-Type", g.pick([]string{"text/plain", "application/xml", "text/xml", "application/json; charset=utf-16", "", "application/octet-stream"}))
		if strings.Contains(h.Get("Content-Type"), "xml") {
			return []byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>`), h
		}
		return jsonBody(g.template(t.path)), h
	}
	setJSON()
	return nil, h
}

// batch is a /api/batch body of sub-requests.
func (g *fuzzGen) batch() map[string]any {
	reqs := make([]any, g.r.IntN(6))
	for i := range reqs {
		t := g.targets[g.r.IntN(len(g.targets))]
		path := strings.NewReplacer("{id}", g.pick(g.ids), "{file}", "x.ics", "{token}", "x").Replace(t.path)
		reqs[i] = map[string]any{"method": g.pick([]string{t.method, "POST", "PATCH", "DELETE", "GET", "", "BREW"}), "url": path, "body": g.junkObject(1)}
	}
	if g.chance(0.1) {
		return map[string]any{"requests": g.junkValue(0)}
	}
	return map[string]any{"requests": reqs}
}
