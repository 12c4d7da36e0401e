package main

import (
	"bytes"
	"cedarheights/bench/internal/served"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// server is the academy binary serving the benchmark data (bench/internal/served).
type server struct{ *served.Server }

// settle sleeps pause, then waits (up to two minutes) until a small
// database read answers within 20 ms three times in a row: an overloaded
// step leaves queued queries behind, and the next step must not pay for
// them. (/api/health alone answers fast even then: it queries nothing.)
func (s server) settle(pause time.Duration) {
	time.Sleep(pause)
	deadline := time.Now().Add(2 * time.Minute)
	for fast := 0; fast < 3 && time.Now().Before(deadline); {
		started := time.Now()
		if s.Status("/api/collections/instruments/records?perPage=1&skipTotal=1", "") == http.StatusOK && time.Since(started) < 20*time.Millisecond {
			fast++
		} else {
			fast = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// call sends a JSON request and decodes a JSON answer into out.
func (s server) call(method, path, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := served.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// total answers totalItems of a PocketBase list (-1 when unknown).
func (s server) total(collection, token string) int {
	var out struct {
		TotalItems int `json:"totalItems"`
	}
	if err := s.call(http.MethodGet, "/api/collections/"+collection+"/records?perPage=1", token, nil, &out); err != nil {
		return -1
	}
	return out.TotalItems
}
