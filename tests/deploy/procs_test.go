package deploy

import (
	"bytes"
	"cedarheights/internal/localbin"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// client never goes through a proxy; a slow answer is slow, not a hang.
var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}

// process is a started command in its own process group, so that killing
// it kills what it started too (Litestream's -exec child).
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s output (end):\n%s", name, tail(p.out.String(), 6000))
		}
		if d := os.Getenv("DEPLOY_TEST_LOGS"); d != "" {
			os.WriteFile(filepath.Join(d, strings.ReplaceAll(name, " ", "_")+".log"), []byte(p.out.String()), 0o644)
		}
	})
	return p
}

// kill sends SIGKILL to the whole process group (a power cut for
// everything it started) and waits for the leader to be gone.
func (p *process) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// stop sends SIGTERM to the group and waits (a graceful shutdown).
func (p *process) stop(t *testing.T) {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("%s still running 30 s after SIGTERM", p.name)
		p.kill()
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func freeAddr(t *testing.T) string {
	return "127.0.0.1:" + strconv.Itoa(localbin.Port(t))
}

// waitHealthy waits until GET base/health answers 200 (or the process
// exits, or a minute passes: a start-up that never finishes).
func waitHealthy(t *testing.T, p *process, base string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited during start-up:\n%s", p.name, tail(p.out.String(), 6000))
		default:
		}
		if res, err := client.Get(base + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %s/health did not answer 200 within a minute:\n%s", p.name, base, tail(p.out.String(), 6000))
}

// waitListening waits until addr accepts TCP connections.
func waitListening(t *testing.T, p *process, addr string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited during start-up:\n%s", p.name, p.out.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("%s is not listening on %s after 30 s:\n%s", p.name, addr, p.out.String())
}

// requiredEnv, when set, turns a missing litestream or gofakes3 into a
// failure (.ci/run sets it) instead of a skip.
const requiredEnv = "LITESTREAM_REQUIRED"

// lookTool finds an installed tool; a missing one skips the test (or fails
// it under LITESTREAM_REQUIRED).
func lookTool(t *testing.T, name, install string) string {
	t.Helper()
	return localbin.Require(t, name, "make test installs it: go install "+install, requiredEnv)
}

// environ is this process's environment without the variables named
// (exactly, or as prefixes ending in "_"), plus extra.
func environ(drop []string, extra ...string) []string {
	var env []string
outer:
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, d := range drop {
			if k == d || (strings.HasSuffix(d, "_") && strings.HasPrefix(k, d)) {
				continue outer
			}
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// runCmd runs a command to its end and fails the test on an error.
func runCmd(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

// exitedWith reports how a finished command ended, for messages.
func exitedWith(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "exit status " + strconv.Itoa(ee.ExitCode())
	}
	return fmt.Sprint(err)
}
