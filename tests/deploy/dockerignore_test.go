package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerignore is the build context's exclusion list: Docker's patterns
// without "!" exceptions (ours has none), each matching a path or any of
// its parent folders; "**" spans folders.
type dockerignore []*regexp.Regexp

func parseDockerignore(text string) dockerignore {
	var d dockerignore
	for _, line := range strings.Split(text, "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		p = strings.Trim(filepath.ToSlash(filepath.Clean(p)), "/")
		var re strings.Builder
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		d = append(d, regexp.MustCompile("^"+re.String()+"$"))
	}
	return d
}

// excludes reports whether path (slash-separated, relative to the context)
// stays out of the build context.
func (d dockerignore) excludes(path string) bool {
	parts := strings.Split(path, "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		for _, re := range d {
			if re.MatchString(prefix) {
				return true
			}
		}
	}
	return false
}

// TestDockerignoreKeepsLocalStateOut: `COPY . .` must not take a local
// pb_data (a live database and its secrets), node_modules, .git or built
// binaries into the image, and must still take everything the build and the
// runtime stage copy.
func TestDockerignoreKeepsLocalStateOut(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatalf("no .dockerignore: COPY . . takes the whole folder into the image: %v", err)
	}
	d := parseDockerignore(string(text))
	for _, path := range []string{
		"pb_data/data.db", "pb_data/auxiliary.db", "pb_data/backups/pb_backup.zip", "pb_data_old/data.db",
		"tests/js/node_modules/pocketbase/package.json", "tests/browser/node_modules/playwright-core/index.js",
		".git/HEAD", "bin/cedarheights", "bin/crash-server", "coverage.out", "deploy.test",
		"tests/browser/artifacts/home.png", "bench/out/latest.md", "data.db-wal", ".env",
	} {
		if !d.excludes(path) {
			t.Errorf(".dockerignore lets %s into the build context", path)
		}
	}
	for _, path := range []string{
		"go.mod", "go.sum", "main.go", "wiring/routes.go", "apispec/openapi.yaml", "pb_migrations/1764100000_academy_schema.go",
		"pb_public/index.html", "deploy/litestream.yml", "deploy/entrypoint.sh",
	} {
		if d.excludes(path) {
			t.Errorf(".dockerignore keeps %s out, but the image needs it", path)
		}
	}
}

func TestDockerignoreMatching(t *testing.T) {
	d := parseDockerignore("# comment\n**/node_modules\nbin\n*.db\npb_data*\n")
	tests := []struct {
		path string
		want bool
	}{
		{"node_modules/x", true},
		{"tests/js/node_modules/x/y.js", true},
		{"bin/cedarheights", true},
		{"cmd/bin/x", false},
		{"data.db", true},
		{"sub/data.db", false},
		{"pb_data_2/x", true},
		{"main.go", false},
		{"binary.go", false},
	}
	for _, tt := range tests {
		if got := d.excludes(tt.path); got != tt.want {
			t.Errorf("excludes(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
