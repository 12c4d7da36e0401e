package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

const (
	superuserEmail    = "bench-owner@cedarheights.test"
	superuserPassword = "bench-owner-password"
)

// server is the academy binary serving a data dir on a loopback port.
type server struct {
	bin, dir, base string
	ownsDir        bool
	cmd            *exec.Cmd
	exited         chan struct{}
}

// A generous timeout: a request the deadline fails to stop shows as slow,
// not as a hung benchmark.
var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}}

// prepare loads the benchmark data into a new temporary dir (unless one was
// given) and makes sure the superuser exists.
func (s *server) prepare() error {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "cedarheights-bench-queries-")
		if err != nil {
			return err
		}
		s.dir, s.ownsDir = dir, true
		logf("loading the benchmark data (demo --size bench, about a minute)…")
		if err := s.run("demo", "--size", "bench", "--dir", s.dir); err != nil {
			return fmt.Errorf("demo --size bench: %w", err)
		}
	}
	return s.run("superuser", "upsert", superuserEmail, superuserPassword, "--dir", s.dir)
}

func (s *server) run(args ...string) error {
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	return cmd.Run()
}

// start serves with the rate limiter off (every request comes from one IP)
// and the default query deadline, and waits for the health check.
func (s *server) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	s.base = "http://" + addr
	logFile, err := os.Create(filepath.Join(s.dir, "bench-queries-serve.log"))
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
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited during start-up (see %s)", logFile.Name())
		default:
		}
		if s.status("/api/health", "") == http.StatusOK {
			return nil
		}
	}
	return fmt.Errorf("server not healthy after 60 s")
}

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
	if s.ownsDir {
		os.RemoveAll(s.dir)
	}
}

// login signs in to an auth collection and returns the token.
func (s *server) login(collection, email, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"identity": email, "password": password})
	res, err := client.Post(s.base+"/api/collections/"+collection+"/auth-with-password", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: status %d", email, res.StatusCode)
	}
	return out.Token, nil
}

// status answers the HTTP status of a GET (0 when it failed outright).
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

// getJSON decodes a GET's JSON answer.
func (s *server) getJSON(path, token string, out any) error {
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", token)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}
