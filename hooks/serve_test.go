package hooks_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/cli"
)

// serveForTest runs our serve command (the one main.go registers) for app
// on a free loopback port and returns its base URL. The server stops with
// the test.
func serveForTest(t *testing.T, app *tests.TestApp, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	serve := cli.NewServeCommand(app, false)
	serve.SetArgs(append([]string{"--http", addr}, args...))
	done := make(chan error, 1)
	go func() { done <- serve.Execute() }()
	t.Cleanup(func() {
		app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error { return nil })
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("serve did not stop")
		}
	})

	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		res, err := http.Get(base + "/api/health")
		if err == nil {
			res.Body.Close()
			return base
		}
	}
	t.Fatal("server did not start")
	return ""
}
