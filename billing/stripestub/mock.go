package stripestub

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StripeMockVersion is the stripe-mock whose API spec (2022-11-15) is the
// closest served match to stripe-go v76's pinned 2023-10-16.
const StripeMockVersion = "v0.162.0"

// StripeMockRequiredEnv set (CI sets it) turns a missing stripe-mock binary
// from a skip into a failure.
const StripeMockRequiredEnv = "STRIPE_MOCK_REQUIRED"

// StartStripeMock runs stripe-mock on two free loopback ports (its HTTP
// and HTTPS addresses both given, or HTTPS binds 12112 on every interface)
// for the test and returns its HTTP base URL. It skips the test when the
// binary is not installed, unless STRIPE_MOCK_REQUIRED is set.
func StartStripeMock(t testing.TB) string {
	t.Helper()
	bin := findStripeMock()
	if bin == "" {
		msg := "stripe-mock is not installed: GOFLAGS=-buildvcs=false go install github.com/stripe/stripe-mock@" + StripeMockVersion
		if os.Getenv(StripeMockRequiredEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var lastErr error
	for try := 0; try < 3; try++ {
		httpPort, httpsPort := freePort(t), freePort(t)
		var out bytes.Buffer
		cmd := exec.Command(bin, "-http-addr", "127.0.0.1:"+httpPort, "-https-addr", "127.0.0.1:"+httpsPort)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start stripe-mock: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		addr := "127.0.0.1:" + httpPort
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-exited:
				exited <- err
				lastErr = fmt.Errorf("stripe-mock exited: %v\n%s", err, out.String())
			default:
				if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
					c.Close()
					t.Cleanup(stop)
					return "http://" + addr
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			break
		}
		stop()
		if lastErr == nil {
			lastErr = fmt.Errorf("stripe-mock did not listen on %s within 20 s\n%s", addr, out.String())
		}
	}
	t.Fatal(lastErr)
	return ""
}

func findStripeMock() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, p := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
