// Package served runs the built academy binary for the benchmarks: a data
// dir loaded with the demo, served on a free loopback port with the rate
// limiter off, and a few calls every benchmark needs (health, login,
// status). The benchmarks that talk HTTP to a separate process share it.
package served

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

// The superuser every benchmark data dir gets.
const (
	SuperuserEmail    = "bench-owner@cedarheights.test"
	SuperuserPassword = "bench-owner-password"
)

// Client talks to the server outside of a load generator, never through a
// proxy. The timeout is generous: a slow request shows as slow, not as a
// hung benchmark.
var Client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}}

// Server is the academy binary serving a data dir on a loopback port.
type Server struct {
	Bin  string // the built binary
	Dir  string // the data dir; empty: a temporary one, removed by Stop
	Base string // http://127.0.0.1:port once started

	ownsDir bool
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process ends
}

// Prepare loads the demo of the given size (unless reuse is set and a data
// dir was given) and makes sure the superuser exists. It returns how long
// the load took.
func (s *Server) Prepare(size string, reuse bool) (time.Duration, error) {
	if reuse && s.Dir != "" {
		return 0, s.Run(io.Discard, "superuser", "upsert", SuperuserEmail, SuperuserPassword, "--dir", s.Dir)
	}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "cedarheights-bench-")
		if err != nil {
			return 0, err
		}
		s.Dir, s.ownsDir = dir, true
	}
	started := time.Now()
	if err := s.Run(os.Stderr, "demo", "--size", size, "--dir", s.Dir); err != nil {
		return 0, fmt.Errorf("demo --size %s: %w", size, err)
	}
	loaded := time.Since(started)
	if err := s.Run(io.Discard, "superuser", "upsert", SuperuserEmail, SuperuserPassword, "--dir", s.Dir); err != nil {
		return 0, fmt.Errorf("superuser: %w", err)
	}
	return loaded, nil
}

// Run runs one command of the binary to its end.
func (s *Server) Run(out io.Writer, args ...string) error {
	cmd := exec.Command(s.Bin, args...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	return cmd.Run()
}

// Start serves on a free loopback port with the rate limiter off (the
// benchmarks fire hundreds of requests per second from one IP) and waits
// until the server answers its health check.
func (s *Server) Start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	s.Base = "http://" + addr
	s.logPath = filepath.Join(s.Dir, "bench-serve.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.Bin, "serve", "--http", addr, "--dir", s.Dir)
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
			return fmt.Errorf("server exited during start-up:\n%s", s.LogTail())
		default:
		}
		if s.Status("/api/health", "") == http.StatusOK {
			return nil
		}
	}
	return fmt.Errorf("server not healthy after 60 s:\n%s", s.LogTail())
}

// Stop ends the server (gracefully, then by force) and removes the data
// dir if Prepare created it.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.ownsDir && s.Dir != "" {
		os.RemoveAll(s.Dir)
	}
}

// PID is the server process's id (0 before Start), for the benchmarks that
// watch its memory.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// LogPath is the file the server's stdout and stderr go to.
func (s *Server) LogPath() string { return s.logPath }

// LogTail is the end of the server's log, for error messages.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Status answers the HTTP status of a GET (0 when it failed outright).
func (s *Server) Status(path, token string) int {
	req, _ := http.NewRequest(http.MethodGet, s.Base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := Client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// Login signs in to an auth collection and returns the token.
func (s *Server) Login(collection, email, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"identity": email, "password": password})
	res, err := Client.Post(s.Base+"/api/collections/"+collection+"/auth-with-password", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: status %d", email, res.StatusCode)
	}
	return out.Token, nil
}
