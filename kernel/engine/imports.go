package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/imports"
)

// stdTable lists the standard library's packages, read once from
// $GOROOT/src (a directory walk, no go command).
type stdTable struct {
	once   sync.Once
	goroot string
	byName map[string][]string // package name -> import paths
	paths  []string            // sorted import paths
}

func (t *stdTable) load() {
	t.once.Do(func() {
		t.byName = map[string][]string{}
		root := filepath.Join(t.goroot, "src")
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			base := d.Name()
			if rel == "." {
				return nil
			}
			if base == "internal" || base == "vendor" || base == "testdata" || rel == "cmd" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
				return fs.SkipDir
			}
			if !hasGoFiles(p) {
				return nil
			}
			t.paths = append(t.paths, rel)
			name := importSpec{Path: rel}.localName()
			t.byName[name] = append(t.byName[name], rel)
			return nil
		})
		slices.Sort(t.paths)
	})
}

func hasGoFiles(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			return true
		}
	}
	return false
}

// isPackageName reports whether some standard package is called name.
func (t *stdTable) isPackageName(name string) bool {
	t.load()
	return len(t.byName[name]) > 0
}

// importFixer settles a program's imports: imports nothing uses are
// dropped, and missing standard-library imports are added with
// golang.org/x/tools/imports.
//
// imports.Process costs 3-30 ms a call (it runs `go env`), and far more when
// it has to resolve a name outside its built-in table of the standard
// library: an unused or unknown non-standard import makes it ask the go
// command and walk the module cache. So the fixer decides what it can on its
// own (usage is a matter of names: an import whose name is never the X of an
// X.Sel is unused), calls Process only when a standard package is missing,
// and shows Process a probe in which every name that is not a standard
// package is declared, so Process never looks beyond the standard library.
type importFixer struct {
	std *stdTable
	dir string // an empty directory: Process reads "other files" next to the probe
}

// fix returns the imports the program needs, starting from candidates.
// body is the program after its import block (declarations and main).
func (f *importFixer) fix(body []byte, candidates []importSpec) ([]importSpec, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "main.go", append([]byte("package main\n"), body...), parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	declared, refs := namesOf(file)
	var kept []importSpec
	bound := map[string]bool{}
	for _, imp := range candidates {
		name := imp.localName()
		if imp.Name == "_" || imp.Name == "." || refs[name] {
			kept = append(kept, imp)
			bound[name] = true
		}
	}
	var missing, unknown []string
	for r := range refs {
		switch {
		case declared[r] || bound[r]:
		case f.std.isPackageName(r):
			missing = append(missing, r)
		default:
			unknown = append(unknown, r)
		}
	}
	if len(missing) == 0 {
		return kept, nil
	}
	// Ask x/tools/imports which standard packages the missing names are.
	var probe strings.Builder
	probe.WriteString("package main\n\nimport (\n")
	var others []importSpec
	for _, imp := range kept {
		if imp.Name == "" && f.isStdPath(imp.Path) {
			fmt.Fprintf(&probe, "\t%q\n", imp.Path)
		} else {
			others = append(others, imp)
			unknown = append(unknown, imp.localName())
		}
	}
	probe.WriteString(")\n")
	for _, name := range unknown {
		if token.IsIdentifier(name) {
			fmt.Fprintf(&probe, "var %s struct{}\n", name)
		}
	}
	probe.Write(body)
	out, err := imports.Process(filepath.Join(f.dir, "main.go"), []byte(probe.String()), &imports.Options{TabIndent: true, TabWidth: 8})
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	fixed, err := parser.ParseFile(fset, "fixed.go", out, parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	specs := others
	for _, is := range fixed.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		s := importSpec{Path: p}
		if is.Name != nil {
			s.Name = is.Name.Name
		}
		specs = append(specs, s)
	}
	return specs, nil
}

func (f *importFixer) isStdPath(p string) bool {
	f.std.load()
	_, found := slices.BinarySearch(f.std.paths, p)
	return found
}

// namesOf returns the names file declares anywhere (top level or local,
// a deliberately coarse view) and the X of every selector X.Sel.
func namesOf(file *ast.File) (declared, refs map[string]bool) {
	declared, refs = map[string]bool{}, map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			for _, id := range n.Names {
				declared[id.Name] = true
			}
		case *ast.ValueSpec:
			for _, id := range n.Names {
				declared[id.Name] = true
			}
		case *ast.TypeSpec:
			declared[n.Name.Name] = true
		case *ast.FuncDecl:
			if n.Recv == nil {
				declared[n.Name.Name] = true
			}
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				refs[id.Name] = true
			}
		}
		return true
	})
	return declared, refs
}
