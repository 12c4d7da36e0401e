package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is the academy binary serving a data dir on a loopback port.
type server struct {
	bin     string
	dir     string
	ownsDir bool // created here, removed at the end
	base    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process ends
}

// client talks to the server outside of the load generator (set-up,
// sanity checks); never through a proxy.
var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}

// prepare creates (or reuses) the data dir, loads the benchmark data and
// creates a superuser. It returns how long the data load took.
func (s *server) prepare(size string) (time.Duration, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "cedarheights-bench-")
		if err != nil {
			return 0, err
		}
		s.dir, s.ownsDir = dir, true
	}
	started := time.Now()
	if err := s.run(os.Stderr, "demo", "--size", size, "--dir", s.dir); err != nil {
		return 0, fmt.Errorf("demo --size %s: %w", size, err)
	}
	loaded := time.Since(started)
	if err := s.run(io.Discard, "superuser", "upsert", "bench-owner@cedarheights.test", "bench-owner-password", "--dir", s.dir); err != nil {
		return 0, fmt.Errorf("superuser: %w", err)
	}
	return loaded, nil
}

func (s *server) run(out io.Writer, args ...string) error {
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	return cmd.Run()
}

// start serves on a free loopback port with the rate limiter off (the
// benchmark fires hundreds of requests per second from one IP) and waits
// until the server answers its health check.
func (s *server) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.base = "http://" + addr
	s.logPath = filepath.Join(s.dir, "bench-serve.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, "serve", "--http", addr, "--dir", s.dir)
	s.cmd.Env = append(os.Environ(), "ACADEMY_RATE_LIMIT=off")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	s.exited = make(chan struct{})
	go func() {
		s.cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited during start-up:\n%s", s.logTail())
		default:
		}
		for _, path := range []string{"/health", "/api/health"} {
			if res, err := client.Get(s.base + path); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("server not healthy after 60 s:\n%s", s.logTail())
}

// stop ends the server (gracefully, then by force) and removes the data dir
// if this run created it.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.ownsDir && s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// settle sleeps pause, then waits (up to two minutes) until a small
// database read answers within 20 ms three times in a row: an overloaded
// step leaves queued queries behind, and the next step must not pay for
// them. (/api/health alone answers fast even then: it queries nothing.)
func (s *server) settle(pause time.Duration) {
	time.Sleep(pause)
	deadline := time.Now().Add(2 * time.Minute)
	for fast := 0; fast < 3 && time.Now().Before(deadline); {
		started := time.Now()
		if s.status("/api/collections/instruments/records?perPage=1&skipTotal=1", "") == http.StatusOK && time.Since(started) < 20*time.Millisecond {
			fast++
		} else {
			fast = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// login signs a user in with PocketBase's password auth and returns its
// token.
func (s *server) login(email, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := s.call(http.MethodPost, "/api/collections/users/auth-with-password", "",
		map[string]string{"identity": email, "password": password}, &out)
	if err == nil && out.Token == "" {
		err = errors.New("no token in the answer")
	}
	if err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	return out.Token, nil
}

// status answers the HTTP status of a GET.
func (s *server) status(path, token string) int {
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// call sends a JSON request and decodes a JSON answer into out.
func (s *server) call(method, path, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := client.Do(req)
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
func (s *server) total(collection, token string) int {
	var out struct {
		TotalItems int `json:"totalItems"`
	}
	if err := s.call(http.MethodGet, "/api/collections/"+collection+"/records?perPage=1", token, nil, &out); err != nil {
		return -1
	}
	return out.TotalItems
}
