package crash

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
// module's bin/crash-server (where make bench builds it too): a build onto
// the same path with nothing changed costs ~0.2 s of CPU, onto a new path
// each run a link of 1-2 s. Not into the temp folder: PocketBase takes a binary there
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

// Every crash test serves a fresh data dir with the same superuser.
const superEmail, superPassword = "crash@test.local", "crash-password-123"

// templates are data dirs migrated once per test binary, one per zone (a
// migration writes ACADEMY_TZ into the academy's settings), each holding
// the superuser.
var templates struct {
	mu   sync.Mutex
	dirs map[string]string // ACADEMY_TZ → dir
}

// migrated fills srv's empty data dir with a copy of the migrated template
// for its zone: a fresh dir runs every migration on the server's first
// start (~0.6 s of CPU), a copy serves at once.
func migrated(srv *Server) error {
	zone := ""
	for _, kv := range srv.Env {
		if v, ok := strings.CutPrefix(kv, "ACADEMY_TZ="); ok {
			zone = v
		}
	}
	templates.mu.Lock()
	defer templates.mu.Unlock()
	dir, ok := templates.dirs[zone]
	if !ok {
		var err error
		if dir, err = os.MkdirTemp("", "cedarheights-crash-template-"); err != nil {
			return err
		}
		tmpl := NewServer(srv.Bin, dir, srv.Env...)
		if err := tmpl.Superuser(superEmail, superPassword); err != nil {
			return err
		}
		cmd := exec.Command(srv.Bin, "migrate", "up", "--dir", dir)
		cmd.Env = tmpl.environ()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("migrate up: %v\n%s", err, out)
		}
		if templates.dirs == nil {
			templates.dirs = map[string]string{}
		}
		templates.dirs[zone] = dir
	}
	return os.CopyFS(srv.Dir, os.DirFS(dir))
}

// TestMain removes the templates after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range templates.dirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
