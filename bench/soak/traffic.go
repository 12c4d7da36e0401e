package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// traffic.go sends the requests and sorts every answer into one of three
// outcomes:
//
//   - ok: the status the action expects;
//   - conflict: a 409 where a race makes one expected (a slot booked, a
//     lesson moved or a make-up credit spent by a concurrent request, an
//     enrollment's trial slot taken), counted apart;
//   - error: no answer (transport error or the 30 s timeout), any 5xx, any
//     body that mentions "database is locked" whatever its status, and
//     every other 4xx (the soak sends only valid requests, so a 400, 403 or
//     404 means the server refused what it should have accepted).

type outcome int

const (
	ok outcome = iota
	conflict
	failed
)

// sample is one request's result.
type sample struct {
	Endpoint string
	At       time.Time // when it was sent
	Took     time.Duration
	Outcome  outcome
	Locked   bool // the body mentioned "database is locked"
	Detail   string
}

// recorder keeps every sample (a 10-minute soak at 200 req/s is 120,000,
// a few MB).
type recorder struct {
	mu      sync.Mutex
	samples []sample
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

func (r *recorder) all() []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.samples)
}

// client is one HTTP client for every simulated user (each request carries
// its user's token); keep-alive like browsers, no proxy.
var client = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{Proxy: nil, MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute},
}

// call is one request of an action.
type call struct {
	Endpoint string // the label in the tables, e.g. "GET /api/v1/students (parent)"
	Method   string
	Path     string
	Token    string
	Body     any
	Want     []int // the expected statuses
	Conflict bool  // a 409 is a race, not an error
}

// do sends c, records its sample and decodes a wanted answer into out.
// It reports whether the answer was the wanted one.
func (t *traffic) do(c call, out any) bool {
	var body io.Reader
	if c.Body != nil {
		raw, _ := json.Marshal(c.Body)
		body = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(c.Method, t.base+c.Path, body)
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", c.Token)
	}
	s := sample{Endpoint: c.Endpoint, At: time.Now()}
	res, err := client.Do(req)
	if err != nil {
		s.Took, s.Outcome, s.Detail = time.Since(s.At), failed, "transport: "+err.Error()
		t.rec.add(s)
		return false
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	s.Took = time.Since(s.At)
	s.Locked = bytes.Contains(bytes.ToLower(raw), []byte("database is locked"))
	switch {
	case err != nil:
		s.Outcome, s.Detail = failed, "reading the answer: "+err.Error()
	case s.Locked:
		s.Outcome, s.Detail = failed, fmt.Sprintf("%d database is locked", res.StatusCode)
	case slices.Contains(c.Want, res.StatusCode):
		s.Outcome = ok
	case res.StatusCode == http.StatusConflict && c.Conflict:
		s.Outcome, s.Detail = conflict, conflictReason(raw)
	default:
		s.Outcome, s.Detail = failed, fmt.Sprintf("%d %s", res.StatusCode, clip(raw, 300))
	}
	t.rec.add(s)
	if s.Outcome != ok {
		return false
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return false
		}
	}
	return true
}

// conflictReason names why a 409 came back (the first field error's code).
func conflictReason(raw []byte) string {
	var e struct {
		Message string `json:"message"`
		Data    map[string]struct {
			Code string `json:"code"`
		} `json:"data"`
		Conflicts []struct {
			Reason string `json:"reason"`
			Code   string `json:"code"`
		} `json:"conflicts"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "409"
	}
	for _, c := range e.Conflicts {
		if c.Code != "" {
			return c.Code
		}
		if c.Reason != "" {
			return c.Reason
		}
	}
	for field, d := range e.Data {
		return field + ": " + d.Code
	}
	return strings.TrimSuffix(e.Message, ".")
}

func clip(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// traffic runs the actions open loop: a new action leaves every 1/rate
// seconds whatever the server's latency, as a crowd of independent users
// would send them.
type traffic struct {
	base string
	rec  *recorder
	// Dropped counts ticks skipped because maxInFlight actions were still
	// running: the generator's own limit, reported (0 in a healthy run).
	dropped int
}

const maxInFlight = 2000

func (t *traffic) run(rate float64, d time.Duration, next func() func()) {
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	started := time.Now()
	for i := 0; ; i++ {
		at := started.Add(time.Duration(i) * interval)
		if at.Sub(started) >= d {
			break
		}
		time.Sleep(time.Until(at))
		select {
		case slots <- struct{}{}:
		default:
			t.dropped++
			continue
		}
		action := next()
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			action()
		}()
	}
	wg.Wait()
}
