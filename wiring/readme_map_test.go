package wiring_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The README's "What imports what" block is the package map a newcomer
// reads first; it must say what `go list` says. Every package of the
// module (but the benchmarks, the tests' helpers and the crash test's
// main) is in it with exactly its imports of our packages.
func TestReadmeImportMapMatchesGoList(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := readmeImports(t, string(readme))

	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	actual := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		name := short(fields[0])
		if name == "" || skipped(name) {
			continue
		}
		var ours []string
		for _, imp := range fields[1:] {
			if s := short(imp); s != "" && !slices.Contains(ours, s) {
				ours = append(ours, s)
			}
		}
		slices.Sort(ours)
		actual[name] = ours
	}

	for name, imports := range actual {
		want, ok := documented[name]
		if !ok {
			t.Errorf("README's map lacks %s (imports %v)", name, imports)
			continue
		}
		if !slices.Equal(want, imports) {
			t.Errorf("README says %s → %v; go list says %v", name, want, imports)
		}
	}
	for name := range documented {
		if _, ok := actual[name]; !ok {
			t.Errorf("README's map names %s, which is not a package", name)
		}
	}
}

// short is an import path of ours without the module name ("main" for the
// module's root), or "" for anyone else's.
func short(path string) string {
	if path == "cedarheights" {
		return "main"
	}
	s, ok := strings.CutPrefix(path, "cedarheights/")
	if !ok {
		return ""
	}
	return s
}

// skipped: what the map leaves out (benchmarks, test helpers, test mains).
func skipped(name string) bool {
	return strings.HasPrefix(name, "bench/") || strings.HasPrefix(name, "internal/") ||
		strings.HasPrefix(name, "tests/") || strings.HasSuffix(name, "/stripestub")
}

// readmeImports parses the block after "What imports what": lines
// "a, b → x, y" ("→ PocketBase only": none of ours); an indented line
// without an arrow continues the list above it.
func readmeImports(t *testing.T, readme string) map[string][]string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "What imports what")
	if !ok {
		t.Fatal(`README has no "What imports what"`)
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	block, _, _ := strings.Cut(rest, "```")
	m := map[string][]string{}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		left, right, ok := strings.Cut(line, "→")
		if !ok {
			if len(names) == 0 || !strings.HasPrefix(line, " ") {
				t.Fatalf("README map line without →: %q", line)
			}
			right = line // continues the names above
		} else {
			names = names[:0]
			for _, name := range strings.Split(left, ",") {
				names = append(names, strings.TrimSpace(name))
			}
		}
		for _, s := range strings.Split(strings.TrimSpace(right), ",") {
			s = strings.TrimSpace(s)
			for _, name := range names {
				if _, ok := m[name]; !ok {
					m[name] = []string{}
				}
				if s != "" && s != "PocketBase only" {
					m[name] = append(m[name], s)
				}
			}
		}
	}
	for name := range m {
		slices.Sort(m[name])
	}
	return m
}
