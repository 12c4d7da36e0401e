package stripestub

import (
	"bytes"
	"cedarheights/internal/localbin"
	"fmt"
	"net"
	"os/exec"
	"strconv"
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
	bin := localbin.Require(t, "stripe-mock", "GOFLAGS=-buildvcs=false go install github.com/stripe/stripe-mock@"+StripeMockVersion, StripeMockRequiredEnv)
	var lastErr error
	for try := 0; try < 3; try++ {
		httpPort, httpsPort := strconv.Itoa(localbin.Port(t)), strconv.Itoa(localbin.Port(t))
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
