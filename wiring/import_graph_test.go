package wiring_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// import_graph_test.go: the wiring is the one package that imports every
// capability; the HTTP plumbing (hooks) and each route group under hooks/
// import only what their doc.go says they may.

// notCapabilities are our packages that are no capability: the program,
// its wiring and HTTP face, the CLI, the migrations, and what only tests
// and benchmarks use.
func notCapability(name string) bool {
	return name == "main" || name == "wiring" || name == "cli" || name == "pb_migrations" ||
		name == "hooks" || strings.HasPrefix(name, "hooks/") || skipped(name)
}

// ourImports maps each package of ours (short name) to its imports of ours.
func ourImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		var ours []string
		for _, imp := range fields[1:] {
			if s := short(imp); s != "" {
				ours = append(ours, s)
			}
		}
		graph[short(fields[0])] = ours
	}
	return graph
}

// TestOnlyTheWiringImportsEveryCapability: no package but main's wiring
// (and main) imports every capability.
func TestOnlyTheWiringImportsEveryCapability(t *testing.T) {
	graph := ourImports(t)
	var capabilities []string
	for name := range graph {
		if !notCapability(name) {
			capabilities = append(capabilities, name)
		}
	}
	slices.Sort(capabilities)
	if len(capabilities) < 10 {
		t.Fatalf("capabilities %v: go list found too few packages", capabilities)
	}
	for name, imports := range graph {
		if name == "wiring" || name == "main" {
			continue
		}
		missing := slices.DeleteFunc(slices.Clone(capabilities), func(c string) bool { return slices.Contains(imports, c) })
		if len(missing) == 0 {
			t.Errorf("%s imports every capability (%v); only the wiring may", name, capabilities)
		}
	}
}

// TestHTTPPackagesImportWhatTheirDocSays: hooks and every route group have
// a doc.go whose "imports" sentence names each package of ours they import
// (a sentence "X imports a, b and c; ..." or "It imports ...", read up to
// its first ';' or '.').
func TestHTTPPackagesImportWhatTheirDocSays(t *testing.T) {
	graph := ourImports(t)
	var packages []string
	for name := range graph {
		if name == "hooks" || strings.HasPrefix(name, "hooks/") {
			packages = append(packages, name)
		}
	}
	slices.Sort(packages)
	if !slices.Contains(packages, "hooks") {
		t.Fatal("go list found no hooks package")
	}
	for _, name := range packages {
		t.Run(name, func(t *testing.T) {
			allowed, err := docImports(filepath.Join("..", name, "doc.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range graph[name] {
				if !slices.Contains(allowed, filepath.Base(imp)) {
					t.Errorf("%s imports %s, which its doc.go does not name (it names %v)", name, imp, allowed)
				}
			}
		})
	}
}

var importsSentence = regexp.MustCompile(`(?s)(?:^|\n)(?:It|[a-z]+) imports ([^;.]*)`)

// docImports reads the package names in the doc comment's imports sentence.
func docImports(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	if f.Doc == nil {
		return nil, &docError{path, "has no package comment"}
	}
	m := importsSentence.FindStringSubmatch(f.Doc.Text())
	if m == nil {
		return nil, &docError{path, "says nothing of what the package imports"}
	}
	return regexp.MustCompile(`[a-z]+`).FindAllString(m[1], -1), nil
}

type docError struct{ path, what string }

func (e *docError) Error() string { return e.path + " " + e.what }
