// Package crash drives the built server the way a crash does: it builds
// the crash test's server (tests/crash/server: the academy wired like
// main.go plus the test-only crash workflow), serves it on a free loopback
// port with a fresh data dir, runs an HTTP stand-in that deduplicates by
// Idempotency-Key the way Stripe does, and kills the process with SIGKILL. crash_test.go asserts exactly-once local
// writes and external effects across kills; bench/workflows measures
// recovery with it.
package crash

import (
	"bytes"
	"cedarheights/internal/localbin"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// StandIn is an external service: POST /effects performs an effect once per
// Idempotency-Key; a repeated key answers the first response again and
// performs nothing (as Stripe does).
type StandIn struct {
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	effects map[string]string // key → effect id
	calls   map[string]int    // key → requests
	total   int
}

// NewStandIn starts a stand-in on loopback.
func NewStandIn() *StandIn {
	s := &StandIn{effects: map[string]string{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

func (s *StandIn) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || r.URL.Path != "/effects" || key == "" {
		http.Error(w, `{"error":"POST /effects with an Idempotency-Key"}`, http.StatusBadRequest)
		return
	}
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.calls[key]++
	id, seen := s.effects[key]
	if !seen {
		s.total++
		id = "eff_" + strconv.Itoa(s.total)
		s.effects[key] = id
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": id, "replayed": seen})
}

// Effects is how many distinct effects were performed.
func (s *StandIn) Effects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Snapshot returns each key's effect id and request count.
func (s *StandIn) Snapshot() (effects map[string]string, calls map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	effects, calls = make(map[string]string, len(s.effects)), make(map[string]int, len(s.calls))
	for k, v := range s.effects {
		effects[k] = v
	}
	for k, v := range s.calls {
		calls[k] = v
	}
	return effects, calls
}

// Close stops the stand-in.
func (s *StandIn) Close() { s.srv.Close() }

// ModuleRoot is the directory of the cedarheights module.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the cedarheights module")
	}
	return filepath.Dir(mod), nil
}

// Build compiles the crash test's server (tests/crash/server) into dir
// (the build cache makes it a link step when the packages were built
// already).
func Build(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "crash-server")
	cmd := exec.Command("go", "build", "-o", bin, "./tests/crash/server")
	cmd.Dir = root
	// The caller's GOFLAGS too (make's -trimpath): the packages are then
	// the ones its own build compiled, found in the build cache.
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -buildvcs=false"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Server is one data dir served by the binary, across restarts.
type Server struct {
	Bin, Dir, URL string
	Env           []string
	// LeaveZombies leaves a killed server unreaped until the next Start
	// has come up, as a parent that does not reap its children would (a
	// container whose first process is not an init): the dead process is a
	// zombie, and kill(pid, 0) still finds it. Linux only (ZombiesSupported).
	LeaveZombies bool

	cmd    *exec.Cmd
	pid    int
	exited chan error
	zombie *exec.Cmd
	log    *syncBuffer
}

// ZombiesSupported reports whether LeaveZombies works here.
func ZombiesSupported() bool { return runtime.GOOS == "linux" }

// NewServer prepares a server; env is added to the process environment.
func NewServer(bin, dir string, env ...string) *Server {
	return &Server{Bin: bin, Dir: dir, Env: env, log: &syncBuffer{}}
}

// Superuser creates (or updates) a superuser; it also applies PocketBase's
// own migrations to a fresh data dir.
func (s *Server) Superuser(email, password string) error {
	cmd := exec.Command(s.Bin, "superuser", "upsert", email, password, "--dir", s.Dir)
	cmd.Env = s.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("superuser upsert: %v\n%s", err, out)
	}
	return nil
}

func (s *Server) environ() []string {
	env := append(os.Environ(), "ACADEMY_RATE_LIMIT=off")
	return append(env, s.Env...)
}

// Start serves on a free loopback port and waits until /api/health answers.
// The port is free when chosen, but a process started beside this one (the
// packages' tests run side by side) may bind it first: then the server
// exits at once and starts again on another port.
func (s *Server) Start() error {
	for attempt := 1; ; attempt++ {
		from := len(s.log.String())
		err := s.start()
		if err == nil || attempt == 3 || !strings.Contains(s.log.String()[from:], "address already in use") {
			return err
		}
	}
}

func (s *Server) start() error {
	port, err := localbin.FreePort()
	if err != nil {
		return err
	}
	s.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	s.cmd = exec.Command(s.Bin, "serve", "--http", "127.0.0.1:"+strconv.Itoa(port), "--dir", s.Dir)
	s.cmd.Env = s.environ()
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.pid = s.cmd.Process.Pid
	exited := make(chan error, 1)
	s.exited = exited
	if s.LeaveZombies {
		go awaitZombie(s.pid, exited)
	} else {
		cmd := s.cmd
		go func() { exited <- cmd.Wait() }()
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			if s.LeaveZombies {
				err = s.cmd.Wait()
			}
			return fmt.Errorf("server exited: %v\n%s", err, s.log.String())
		default:
		}
		if res, err := http.Get(s.URL + "/api/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.reapZombie()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	return fmt.Errorf("server not healthy after 60s:\n%s", s.log.String())
}

// Pid is the serving process's id.
func (s *Server) Pid() int { return s.pid }

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL) }

// Stop sends SIGTERM (a graceful shutdown) and waits.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	if err := syscall.Kill(s.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("server %d still running 30s after %v", s.pid, sig)
	}
	if s.LeaveZombies {
		s.reapZombie()
		if sig == syscall.SIGKILL {
			s.zombie = s.cmd
		} else {
			s.cmd.Wait()
		}
	}
	s.cmd = nil
	return nil
}

func (s *Server) reapZombie() {
	if s.zombie != nil {
		s.zombie.Wait()
		s.zombie = nil
	}
}

// awaitZombie reports when pid has exited, without reaping it: the
// process stays a zombie (Linux: its state in /proc/<pid>/stat is Z).
func awaitZombie(pid int, exited chan<- error) {
	stat := "/proc/" + strconv.Itoa(pid) + "/stat"
	for {
		raw, err := os.ReadFile(stat)
		if err != nil {
			exited <- err
			return
		}
		// "pid (command) state ...": the command may hold spaces.
		if i := bytes.LastIndexByte(raw, ')'); i >= 0 && bytes.HasPrefix(raw[i+1:], []byte(" Z")) {
			exited <- nil
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Output is everything the server printed so far.
func (s *Server) Output() string { return s.log.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Client calls the server's API as a superuser.
type Client struct {
	URL, Token string
	HTTP       *http.Client
}

// Login signs a superuser in.
func Login(base, email, password string) (*Client, error) {
	c := &Client{URL: base, HTTP: &http.Client{Timeout: 30 * time.Second}}
	var out struct {
		Token string `json:"token"`
	}
	err := c.call(http.MethodPost, "/api/collections/_superusers/auth-with-password",
		map[string]string{"identity": email, "password": password}, &out)
	c.Token = out.Token
	return c, err
}

// CheapPasswords sets the users' password field to bcrypt's lowest cost,
// as an owner can in the admin UI (the binary reads it from the data dir;
// production keeps PocketBase's default: TestCheapPasswordsAreTheTemplatesOnly).
// For a test that creates accounts (two hashes per create, ~55 ms of CPU
// each at the default cost) to check something other than passwords.
func (c *Client) CheapPasswords() error {
	var users struct {
		Fields []map[string]any `json:"fields"`
	}
	if err := c.call(http.MethodGet, "/api/collections/users", nil, &users); err != nil {
		return err
	}
	found := false
	for _, f := range users.Fields {
		if f["name"] == "password" {
			f["cost"], found = bcrypt.MinCost, true
		}
	}
	if !found {
		return errors.New("the users collection has no password field")
	}
	return c.call(http.MethodPatch, "/api/collections/users", map[string]any{"fields": users.Fields}, nil)
}

// StartRun starts a run without waiting for it and returns its id.
func (c *Client) StartRun(workflow string, input any, key string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.call(http.MethodPost, "/api/v1/workflows/runs?wait=0",
		map[string]any{"workflow": workflow, "input": input, "idempotency_key": key}, &out)
	return out.ID, err
}

// Run is a run as the list route returns it.
type Run struct {
	ID       string          `json:"id"`
	Status   string          `json:"status"`
	Error    string          `json:"error"`
	Result   json.RawMessage `json:"result"`
	Finished string          `json:"finished"` // PocketBase's date format; empty while unfinished
}

// Count is how many runs of a workflow have the status.
func (c *Client) Count(workflow, status string) (int, error) {
	var out struct {
		TotalItems int `json:"totalItems"`
	}
	q := url.Values{"name": {workflow}, "status": {status}, "per_page": {"1"}}
	err := c.call(http.MethodGet, "/api/v1/workflows/runs?"+q.Encode(), nil, &out)
	return out.TotalItems, err
}

// Runs lists every run of a workflow.
func (c *Client) Runs(workflow string) ([]Run, error) {
	var all []Run
	for page := 1; ; page++ {
		var out struct {
			Items      []Run `json:"items"`
			TotalPages int   `json:"totalPages"`
		}
		q := url.Values{"name": {workflow}, "per_page": {"200"}, "page": {strconv.Itoa(page)}, "sort": {"created"}}
		if err := c.call(http.MethodGet, "/api/v1/workflows/runs?"+q.Encode(), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Items...)
		if page >= out.TotalPages {
			return all, nil
		}
	}
}

// Records lists every record of a collection (PocketBase's record API).
func (c *Client) Records(collection string) ([]map[string]any, error) {
	var all []map[string]any
	for page := 1; ; page++ {
		var out struct {
			Items      []map[string]any `json:"items"`
			TotalPages int              `json:"totalPages"`
		}
		path := "/api/collections/" + collection + "/records?perPage=500&page=" + strconv.Itoa(page)
		if err := c.call(http.MethodGet, path, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Items...)
		if page >= out.TotalPages {
			return all, nil
		}
	}
}

func (c *Client) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
