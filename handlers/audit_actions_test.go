package handlers

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/views"
)

// TestAuditActionsWorded: every action the app's source records in the
// audit log (each Record(ctx, who, action, target, before, after) call
// outside tests, read with go/parser) is in auditActions, so the audit
// page's filter offers it, and has its name ("audit.action." + action)
// in English, Simplified and Traditional Chinese. An action is a string
// literal, a sum of literals, a local variable given only literals, or a
// parameter every caller passes a literal; anything else fails, asking
// for a literal, so that no action escapes the check. A listed action
// nothing records any more fails too.
func TestAuditActionsWorded(t *testing.T) {
	recorded := recordedAuditActions(t, "..")
	if len(recorded) < 20 || recorded["signin"] == "" || recorded["refund"] == "" || recorded["export.audit.csv"] == "" {
		t.Fatalf("found %d recorded actions (%v): the source was not read as expected", len(recorded), recorded)
	}
	cat, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	actions := make([]string, 0, len(recorded))
	for a := range recorded {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		if !slices.Contains(auditActions, a) {
			t.Errorf("%s records the audit action %q, which handlers/audit_words.go's auditActions does not list", recorded[a], a)
		}
		for _, lang := range []string{views.LangEnglish, views.LangSimplifiedChinese, views.LangTraditionalChinese} {
			if id := "audit.action." + a; cat.Localizer(lang).T(id) == id {
				t.Errorf("%s records the audit action %q, which has no %q in views/locales/*.%s.toml", recorded[a], a, id, lang)
			}
		}
	}
	for _, a := range auditActions {
		if recorded[a] == "" {
			t.Errorf("auditActions lists %q, which nothing records", a)
		}
	}
}

// goPackage is one directory's non-test Go files, parsed.
type goPackage struct {
	fset  *token.FileSet
	files []*ast.File
}

// recordedAuditActions reads every non-test Go file under root and
// returns each audit action a Record call passes, with where.
func recordedAuditActions(t *testing.T, root string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string]*goPackage{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if pkgs[dir] == nil {
			pkgs[dir] = &goPackage{fset: fset}
		}
		pkgs[dir].files = append(pkgs[dir].files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range pkgs {
		for _, f := range p.files {
			for _, call := range recordCalls(f) {
				where := fset.Position(call.Pos()).String()
				vals, err := p.strings(call.Args[2], enclosingFunc(f, call.Pos()), 0)
				if err != nil {
					t.Errorf("%s: cannot tell the audit action of this Record call (%v): pass a string literal", where, err)
					continue
				}
				for _, v := range vals {
					if out[v] == "" {
						out[v] = where
					}
				}
			}
		}
	}
	return out
}

// recordCalls are f's calls of a method named Record with the audit
// writer's six arguments (accounts.Service.Record), keyed by position.
func recordCalls(f *ast.File) map[token.Pos]*ast.CallExpr {
	calls := map[token.Pos]*ast.CallExpr{}
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Record" && len(c.Args) == 6 {
				calls[c.Pos()] = c
			}
		}
		return true
	})
	return calls
}

// enclosingFunc is the top-level function of f that holds pos.
func enclosingFunc(f *ast.File, pos token.Pos) *ast.FuncDecl {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Pos() <= pos && pos < fd.End() {
			return fd
		}
	}
	return nil
}

// strings is every value the string expression e in function fn can
// have: literals and their sums, a local variable assigned only those, a
// package constant, or a parameter of fn that every call of fn in the
// package passes as such.
func (p *goPackage) strings(e ast.Expr, fn *ast.FuncDecl, depth int) ([]string, error) {
	if depth > 4 {
		return nil, fmt.Errorf("too deep")
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return []string{s}, err
		}
	case *ast.ParenExpr:
		return p.strings(e.X, fn, depth)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			break
		}
		xs, err := p.strings(e.X, fn, depth)
		if err != nil {
			return nil, err
		}
		ys, err := p.strings(e.Y, fn, depth)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, x := range xs {
			for _, y := range ys {
				out = append(out, x+y)
			}
		}
		return out, nil
	case *ast.Ident:
		return p.ident(e.Name, fn, depth)
	}
	return nil, fmt.Errorf("%T is not a string this test can follow", e)
}

// ident is strings for the name used in fn.
func (p *goPackage) ident(name string, fn *ast.FuncDecl, depth int) ([]string, error) {
	if fn != nil {
		// A local variable: every value assigned to it.
		var vals []string
		var bad error
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != len(as.Rhs) {
				return true
			}
			for i, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == name {
					vs, err := p.strings(as.Rhs[i], fn, depth+1)
					if err != nil {
						bad = err
					}
					vals = append(vals, vs...)
				}
			}
			return true
		})
		if bad != nil {
			return nil, bad
		}
		if len(vals) > 0 {
			return vals, nil
		}
		// A parameter: what every caller in the package passes.
		i := 0
		for _, field := range fn.Type.Params.List {
			for _, n := range field.Names {
				if n.Name == name {
					return p.passed(fn, i, depth)
				}
				i++
			}
		}
	}
	// A package constant.
	for _, f := range p.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == name && i < len(vs.Values) {
						return p.strings(vs.Values[i], nil, depth+1)
					}
				}
			}
		}
	}
	return nil, fmt.Errorf("%s is neither a local given literals, a parameter nor a constant", name)
}

// passed is every value the package's calls of fn pass as its i-th
// argument.
func (p *goPackage) passed(fn *ast.FuncDecl, i, depth int) ([]string, error) {
	var vals []string
	var bad error
	calls := 0
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) <= i {
				return true
			}
			name := ""
			switch fun := c.Fun.(type) {
			case *ast.Ident:
				name = fun.Name
			case *ast.SelectorExpr:
				name = fun.Sel.Name
			}
			if name != fn.Name.Name {
				return true
			}
			calls++
			vs, err := p.strings(c.Args[i], enclosingFunc(f, c.Pos()), depth+1)
			if err != nil {
				bad = err
			}
			vals = append(vals, vs...)
			return true
		})
	}
	if bad != nil {
		return nil, bad
	}
	if calls == 0 {
		return nil, fmt.Errorf("nothing calls %s", fn.Name.Name)
	}
	return vals, nil
}
