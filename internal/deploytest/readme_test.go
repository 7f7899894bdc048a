package deploytest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/absr-autopair/absr-autopair/internal/config"
)

// TestReadmeExplainsEveryReason: every reason code the engine can report (the Reason*
// constants of internal/pairing) has a row in the README's outcomes table, so an operator who
// meets one in the logs can look it up.
func TestReadmeExplainsEveryReason(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for line := range strings.SplitSeq(string(readme), "\n") {
		if strings.HasPrefix(line, "| `") {
			table.WriteString(line + "\n")
		}
	}
	reasons := reasonConstants(t, filepath.Join(repoRoot, "internal", "pairing", "errors.go"))
	if len(reasons) < 20 {
		t.Fatalf("found only %d Reason constants: has internal/pairing/errors.go moved?", len(reasons))
	}
	for name, code := range reasons {
		if !strings.Contains(table.String(), "`"+code+"`") {
			t.Errorf("README.md has no table row for reason %q (pairing.%s)", code, name)
		}
	}
}

// reasonConstants reads the string constants named Reason* from a Go source file.
func reasonConstants(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Reason") || i >= len(spec.Values) {
				continue
			}
			if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					out[name.Name] = v
				}
			}
		}
		return true
	})
	return out
}

// TestReadmeDocumentsEveryVariable: every ABSR_* variable the configuration reads has a row in
// the README's configuration table.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range config.Variables() {
		if !strings.Contains(string(readme), "| `"+name+"`") && !strings.Contains(string(readme), "`"+name+"`, `") &&
			!strings.Contains(string(readme), ", `"+name+"` |") {
			t.Errorf("README.md has no configuration row for %s", name)
		}
	}
}
