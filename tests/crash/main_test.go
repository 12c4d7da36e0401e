package crash

import (
	"os"
	"path/filepath"
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

// serverBinary builds tests/crash/server once per test binary, into the
// module's bin/: PocketBase takes a binary under the temp folder for `go
// run` and serves in dev mode, logging every SQL statement.
func serverBinary(t *testing.T) string {
	t.Helper()
	server.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			server.err = err
			return
		}
		if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
			server.err = err
			return
		}
		if server.dir, server.err = os.MkdirTemp(filepath.Join(root, "bin"), "crash-"); server.err == nil {
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
