package hooks_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"cedarheights/internal/testapp"
)

// smuggledGet is a complete request hidden inside another request's body.
const smuggledGet = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

// TestUnreadBodyClosesConnection: a request whose handler leaves more than
// 256 KiB of its body unread gets one answer and the connection closes; the
// bytes left in the body are never parsed as requests of their own. It runs
// the serve command (apis.Serve and its *http.Server), as production does,
// and testapp.Serve, which the other tests' servers come from.
func TestUnreadBodyClosesConnection(t *testing.T) {
	app, f := testapp.New(t)
	other, _ := testapp.New(t) // an app's OnServe runs once
	servers := map[string]string{
		"serve command": strings.TrimPrefix(serveForTest(t, app), "http://"),
		"testapp.Serve": strings.TrimPrefix(testapp.Serve(t, other).URL, "http://"),
	}

	// 1 MiB of filler, then complete requests. Where the server resumes
	// depends on how much the handler read, so the filler is itself made
	// of requests: whatever is parsed from it is an extra answer.
	const smuggled = 200
	filler := strings.Repeat(smuggledGet, (1<<20)/len(smuggledGet))
	body := filler + strings.Repeat(smuggledGet, smuggled)

	cases := []struct {
		name, method, path string
		headers            map[string]string
		status             int
	}{
		{"body-limited route (413 before reading)", http.MethodPost, "/api/v1/stripe/webhooks", nil, 413},
		{"our JSON route, signed in", http.MethodPost, "/api/v1/students",
			map[string]string{"Authorization": f.Admin.Token, "Content-Type": "application/json"}, 413},
		{"unknown route", http.MethodPost, "/api/v1/no-such-route", nil, 404},
		{"POST to a GET-only route", http.MethodPost, "/api/v1/health", nil, 404},
		{"GET route (its body ignored)", http.MethodGet, "/api/v1/public/pricing", nil, 200},
		{"record API, create", http.MethodPost, "/api/collections/students/records",
			map[string]string{"Content-Type": "application/json"}, 0},
		{"record API, update", http.MethodPatch, "/api/collections/students/records/" + f.StudentA1,
			map[string]string{"Authorization": f.Admin.Token, "Content-Type": "application/json"}, 0},
	}
	for server, addr := range servers {
		for _, c := range cases {
			t.Run(server+"/"+c.name, func(t *testing.T) {
				var head strings.Builder
				fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", c.method, c.path, addr, len(body))
				for k, v := range c.headers {
					fmt.Fprintf(&head, "%s: %s\r\n", k, v)
				}
				head.WriteString("\r\n")

				statuses, err := rawExchange(t, addr, head.String()+body)
				if len(statuses) != 1 {
					t.Fatalf("responses %v on one connection, want exactly 1: the unread body was parsed as requests", statuses)
				}
				if c.status != 0 && statuses[0] != c.status {
					t.Errorf("status %d, want %d", statuses[0], c.status)
				}
				if !closedConn(err) {
					t.Errorf("after the answer: %v, want the connection closed", err)
				}
			})
		}
	}
}

// rawExchange writes raw on a fresh connection while reading answers, and
// returns the statuses of the first two and the error that ended the
// reading.
func rawExchange(t *testing.T, addr, raw string) ([]int, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	// Writing and reading at once: a server that answers smuggled requests
	// would otherwise fill both socket buffers and stall.
	go io.WriteString(conn, raw)

	var statuses []int
	br := bufio.NewReader(conn)
	for {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			if len(statuses) == 0 {
				t.Fatalf("no response: %v", err)
			}
			return statuses, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		statuses = append(statuses, res.StatusCode)
		if len(statuses) > 1 {
			return statuses, nil // the body is being parsed as requests
		}
	}
}

// closedConn: the read after the answer found the connection closed
// (ReadResponse reports a clean close as an unexpected EOF; a server that
// closes with unread input may reset it).
func closedConn(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		(err != nil && strings.Contains(err.Error(), "connection reset"))
}

// TestKeepAliveStillReused: ordinary requests, including one whose small
// body the route never reads, keep sharing one connection.
func TestKeepAliveStillReused(t *testing.T) {
	app, f := testapp.New(t)
	base := serveForTest(t, app)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	requests := []struct {
		method, path, body string
		status             int
	}{
		{http.MethodGet, "/api/v1/health", "", 200},
		{http.MethodPost, "/api/v1/no-such-route", strings.Repeat("x", 10<<10), 404},
		{http.MethodGet, "/api/v1/students", "", 200},
		{http.MethodPost, "/api/v1/stripe/webhooks", `{"id":"evt_1"}`, 0}, // 400 or 503: no valid signature
		{http.MethodGet, "/api/v1/health", "", 200},
	}
	for i, r := range requests {
		var reused bool
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), r.method, base+r.path, strings.NewReader(r.body))
		req.Header.Set("Authorization", f.Admin.Token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if r.status != 0 && res.StatusCode != r.status {
			t.Errorf("%s %s: status %d, want %d", r.method, r.path, res.StatusCode, r.status)
		}
		if i > 0 && !reused {
			t.Errorf("%s %s: a new connection, want the kept-alive one", r.method, r.path)
		}
	}
}
