package mailpit

import (
	"bytes"
	"cedarheights/internal/localbin"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the mailpit release the tests are written against.
const Version = "v1.33.1"

// RequiredEnv, when set, turns a missing binary into a failure.
const RequiredEnv = "MAILPIT_REQUIRED"

// Options change how mailpit runs.
type Options struct {
	// AllowedRecipients, a regular expression: other recipients are
	// refused at RCPT with "550 5.1.0" (a permanent refusal).
	AllowedRecipients string
}

// Server is one mailpit process, restartable on the same ports and
// database (messages survive a Stop/Start).
type Server struct {
	SMTPHost string // 127.0.0.1
	SMTPPort int
	URL      string // its HTTP API, http://127.0.0.1:<port>

	t        testing.TB
	bin, db  string
	httpPort int
	opts     Options
	http     *http.Client

	mu     sync.Mutex // the process
	cmd    *exec.Cmd
	exited chan error
	out    *lockedBuffer
}

// Start runs mailpit for the test (stopped by t.Cleanup) and waits until
// its SMTP and HTTP ports answer. It skips the test when mailpit is not
// installed, unless MAILPIT_REQUIRED is set.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := Prepare(t, opts)
	// A port free when picked can be taken before mailpit binds it (tests
	// run side by side): pick again rather than fail.
	for attempt := 1; ; attempt++ {
		err := s.Start()
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		s.SMTPPort, s.httpPort = localbin.Port(t), localbin.Port(t)
		s.URL = "http://127.0.0.1:" + strconv.Itoa(s.httpPort)
	}
}

// Prepare finds the binary and picks the ports without starting mailpit:
// a test can then see SMTP down first and Start it later on the same port.
func Prepare(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := localbin.Require(t, "mailpit", "go install github.com/axllent/mailpit@"+Version, RequiredEnv)
	s := &Server{
		SMTPHost: "127.0.0.1", SMTPPort: localbin.Port(t), httpPort: localbin.Port(t),
		t: t, bin: bin, db: filepath.Join(t.TempDir(), "mailpit.db"), opts: opts,
		http: &http.Client{Timeout: 10 * time.Second},
	}
	s.URL = "http://127.0.0.1:" + strconv.Itoa(s.httpPort)
	t.Cleanup(s.Stop)
	return s
}

// SMTPAddr is host:port of the SMTP listener.
func (s *Server) SMTPAddr() string {
	return net.JoinHostPort(s.SMTPHost, strconv.Itoa(s.SMTPPort))
}

// Start runs mailpit (again) on the server's ports and database and waits
// until it is ready.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	args := []string{
		"--smtp", s.SMTPAddr(),
		"--listen", "127.0.0.1:" + strconv.Itoa(s.httpPort),
		"--database", s.db,
		"--disable-version-check",
		"--smtp-disable-rdns",
		"--max", "0", // keep every message: tests count them
		"--quiet",
	}
	if s.opts.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", s.opts.AllowedRecipients)
	}
	out := &lockedBuffer{}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mailpit: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.cmd, s.exited, s.out = cmd, exited, out

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			s.cmd = nil
			return fmt.Errorf("mailpit exited: %v\n%s", err, out.String())
		default:
		}
		if s.readyLocked() {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.stopLocked()
	return errors.New("mailpit not ready within 20 s")
}

func (s *Server) readyLocked() bool {
	c, err := net.DialTimeout("tcp", s.SMTPAddr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	res, err := s.http.Get(s.URL + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// Stop kills mailpit (SMTP goes down) and waits until it is gone. The
// database stays for a later Start.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Output is what mailpit printed (errors only: it runs --quiet).
func (s *Server) Output() string {
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	if out == nil {
		return ""
	}
	return out.String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
