package deploy

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// imageLayout copies the binary and the entry point where the image puts
// them, in a folder every user may read, with a data dir owned by uid.
type imageLayout struct {
	bin, entrypoint, data string
}

func newImageLayout(t *testing.T, uid uint32) imageLayout {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cedarheights-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := imageLayout{
		bin:        filepath.Join(dir, "cedarheights"),
		entrypoint: filepath.Join(dir, "academy-entrypoint"),
		data:       filepath.Join(dir, "pb_data"),
	}
	copyFile(t, academyBin, l.bin, 0o755)
	copyFile(t, filepath.Join(root, "deploy", "entrypoint.sh"), l.entrypoint, 0o755)
	if err := os.Mkdir(l.data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(l.data, int(uid), int(uid)); err != nil {
		t.Fatal(err)
	}
	return l
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// TestImageBinaryServesAsNonRoot runs the binary built like the image's
// through the image's entry point, as the Dockerfile's USER (its uid): the
// first superuser is created with the entry point's arguments, the server
// answers /health, writes its data dir and runs under that uid.
func TestImageBinaryServesAsNonRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	image, err := parseDockerfile(string(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	uid := image.uid
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// root here, as in CI: drop to the image's uid for every command
		cred = &syscall.Credential{Uid: uid, Gid: uid}
	} else {
		uid = uint32(os.Geteuid()) // already not root
		t.Logf("not root: running as uid %d instead of the image's %d", uid, image.uid)
	}
	l := newImageLayout(t, uid)
	addr := freeAddr(t)
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + filepath.Dir(l.data),
		"TMPDIR=" + childTmp,
		"ACADEMY_BIN=" + l.bin,
		"ACADEMY_DATA_DIR=" + l.data,
		"ACADEMY_HTTP=" + addr,
		"ACADEMY_PUBLIC_DIR=" + filepath.Join(root, "pb_public"),
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(l.entrypoint, args...)
		cmd.Env = env
		cmd.Dir = filepath.Dir(l.data)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	}

	const email, password = "owner@cedarheights.test", "a-long-password-1"
	runCmd(t, command("superuser", "upsert", email, password, "--dir", l.data))

	server := startProcess(t, "academy (non-root)", command())
	base := "http://" + addr
	waitHealthy(t, server, base)

	if got := processUID(t, server.cmd.Process.Pid); got != uid {
		t.Fatalf("the server runs as uid %d, want %d", got, uid)
	}
	// A write through the API: the superuser signs in and creates a record.
	token := superuserToken(t, base, email, password)
	res := doJSON(t, http.MethodPost, base+"/api/collections/instruments/records", token,
		map[string]any{"name": "Cello", "min_age": 6, "active": true})
	if res.status != http.StatusOK {
		t.Fatalf("creating a record as the superuser: %d %s", res.status, res.body)
	}
	for _, name := range []string{"data.db", "auxiliary.db"} {
		fi, err := os.Stat(filepath.Join(l.data, name))
		if err != nil {
			t.Fatalf("the server did not write %s: %v", name, err)
		}
		if owner := fi.Sys().(*syscall.Stat_t).Uid; owner != uid {
			t.Errorf("%s is owned by uid %d, want %d", name, owner, uid)
		}
	}
	server.stop(t)
}

// processUID reads a process's real uid from /proc.
func processUID(t *testing.T, pid int) uint32 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			n, _ := strconv.ParseUint(f[0], 10, 32)
			return uint32(n)
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return 0
}

type response struct {
	status int
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// doJSON sends a JSON request; an error reaching the server fails the test.
func doJSON(t *testing.T, method, url, token string, body any) response {
	t.Helper()
	res, err := send(method, url, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

func send(method, url, token string, body any) (response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: b}, err
}

func superuserToken(t *testing.T, base, email, password string) string {
	t.Helper()
	res := doJSON(t, http.MethodPost, base+"/api/collections/_superusers/auth-with-password", "",
		map[string]any{"identity": email, "password": password})
	if res.status != http.StatusOK {
		t.Fatalf("superuser sign-in: %d %s", res.status, res.body)
	}
	var auth struct{ Token string }
	res.decode(t, &auth)
	return auth.Token
}
