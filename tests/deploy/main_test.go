package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// academyBin is the academy built the way the Dockerfile builds it, in a
// folder every user may read (the non-root test runs it as another uid).
var academyBin string

// childTmp is the TMPDIR of the processes the tests start. PocketBase turns
// on its dev mode (every SQL statement printed) for a binary that lies in
// the temp folder, taking it for `go run`; the image's binary does not, so
// neither may the tested one.
var childTmp string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cedarheights-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	academyBin = filepath.Join(dir, "cedarheights")
	childTmp = filepath.Join(dir, "tmp")
	if err := os.Mkdir(childTmp, 0o1777); err == nil {
		err = os.Chmod(childTmp, 0o1777) // past the umask: the non-root test writes here too
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := buildLikeDockerfile(academyBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// buildLikeDockerfile builds the image's binary into the module's
// bin/image/ and copies it to out: a build onto the same path with nothing
// changed costs ~0.2 s of CPU, onto a new path each run a link of 1-2 s.
func buildLikeDockerfile(out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	built := filepath.Join(root, "bin", "image", "cedarheights")
	if err := buildWithDockerfileLine(root, built); err != nil {
		return err
	}
	b, err := os.ReadFile(built)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o755)
}

// moduleRoot is the folder of go.mod (and of the Dockerfile).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the cedarheights module")
	}
	return filepath.Dir(mod), nil
}

// buildWithDockerfileLine runs the Dockerfile's own build line (its flags
// and environment, e.g. CGO_ENABLED=0 -trimpath -ldflags) in root with only
// the output path changed, so the tested binary cannot drift from the
// image's.
func buildWithDockerfileLine(root, out string) error {
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return err
	}
	b, err := parseDockerfile(string(dockerfile))
	if err != nil {
		return err
	}
	cmd := exec.Command("sh", "-c", b.command(out))
	cmd.Dir = root
	// The image's build context has no .git (.dockerignore), so it stamps
	// no VCS information; neither does this build.
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the Dockerfile's build line %q: %v\n%s", b.command(out), err, output)
	}
	return nil
}
