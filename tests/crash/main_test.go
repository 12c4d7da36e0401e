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
	bin  string
	err  error
}

// serverBinary builds tests/crash/server once per test binary, into the
// module's bin/crash-server (where make bench builds it too): go build
// relinks a binary only when what it is built from changed, so a warm run
// pays no link. Not into the temp folder: PocketBase takes a binary there
// for `go run` and serves in dev mode, logging every SQL statement.
func serverBinary(t *testing.T) string {
	t.Helper()
	server.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			server.err = err
			return
		}
		dir := filepath.Join(root, "bin")
		if server.err = os.MkdirAll(dir, 0o755); server.err == nil {
			server.bin, server.err = Build(dir)
		}
	})
	if server.err != nil {
		t.Fatal(server.err)
	}
	return server.bin
}
