package crash

import (
	"os"
	"sync"
	"testing"
)

// The crash tests share one build of the server: linking a PocketBase
// binary is the slowest step of each, and every test runs the same one.
var server struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// serverBinary builds tests/crash/server once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	server.once.Do(func() {
		if server.dir, server.err = os.MkdirTemp("", "cedarheights-crash-"); server.err == nil {
			server.bin, server.err = Build(server.dir)
		}
	})
	if server.err != nil {
		t.Fatal(server.err)
	}
	return server.bin
}

// TestMain removes the shared build after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if server.dir != "" {
		os.RemoveAll(server.dir)
	}
	os.Exit(code)
}
