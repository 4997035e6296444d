package payments_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSignerNeverLogs is test 102's static rule: the Latipay client,
// whose signing pre-image ends with the API key, imports no logger and
// prints nothing, so the pre-image cannot reach a log. (The simulator,
// a separate package, logs only callback outcomes.)
func TestSignerNeverLogs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("latipay", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "log" || p == "log/slog" {
				t.Errorf("%s imports %s", f, p)
			}
		}
		ast.Inspect(af, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Print") {
				t.Errorf("%s: fmt.%s at %s", f, sel.Sel.Name, fset.Position(sel.Pos()))
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "os" && (sel.Sel.Name == "Stdout" || sel.Sel.Name == "Stderr") {
				t.Errorf("%s: os.%s at %s", f, sel.Sel.Name, fset.Position(sel.Pos()))
			}
			return true
		})
	}
}
