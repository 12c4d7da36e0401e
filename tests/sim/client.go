package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// client calls the server at its current address (it changes on every
// restart).
type client struct {
	mu   sync.RWMutex
	base string
	http *http.Client
}

func newClient() *client {
	return &client{http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}}
}

func (c *client) setBase(base string) {
	c.mu.Lock()
	c.base = base
	c.mu.Unlock()
	c.http.CloseIdleConnections()
}

func (c *client) url(path string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.base + path
}

// answer is one exchange: status 0 when the request failed outright (the
// server was killed under it).
type answer struct {
	method, path string
	status       int
	body         []byte
	err          error
}

func (a answer) ok() bool { return a.status >= 200 && a.status < 300 }

func (a answer) decode(v any) error {
	if a.err != nil {
		return a.err
	}
	return json.Unmarshal(a.body, v)
}

func (a answer) String() string {
	body := string(a.body)
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	if a.err != nil {
		return fmt.Sprintf("%s %s: %v", a.method, a.path, a.err)
	}
	return fmt.Sprintf("%s %s: %d %s", a.method, a.path, a.status, body)
}

// call sends body as JSON with the token and extra headers.
func (c *client) call(method, path, token string, body any, headers ...string) answer {
	a := answer{method: method, path: path}
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			a.err = err
			return a
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.url(path), rd)
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		a.err = err
		return a
	}
	defer res.Body.Close()
	a.status = res.StatusCode
	a.body, a.err = io.ReadAll(res.Body)
	return a
}

// records lists every record of a collection matching filter (the record
// API, as a superuser).
func (c *client) records(token, collection, filter string) ([]map[string]any, error) {
	var all []map[string]any
	for page := 1; ; page++ {
		path := fmt.Sprintf("/api/collections/%s/records?perPage=500&page=%d&sort=created", collection, page)
		if filter != "" {
			path += "&filter=" + urlQuery(filter)
		}
		a := c.call(http.MethodGet, path, token, nil)
		var out struct {
			Items      []map[string]any `json:"items"`
			TotalPages int              `json:"totalPages"`
		}
		if !a.ok() {
			return nil, fmt.Errorf("%s", a)
		}
		if err := a.decode(&out); err != nil {
			return nil, err
		}
		all = append(all, out.Items...)
		if page >= out.TotalPages {
			return all, nil
		}
	}
}
