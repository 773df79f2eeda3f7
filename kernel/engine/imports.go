package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
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
// X.Sel is unused), remembers what Process answered for a name and the
// selectors used with it, calls Process only for what is new, and shows it a
// probe in which every name that is not a standard package is declared, so
// Process never looks beyond the standard library.
type importFixer struct {
	std *stdTable
	dir string // an empty directory: Process reads "other files" next to the probe

	mu      sync.Mutex
	answers map[string]importSpec // "rand Intn" (name and sorted selectors) -> what Process added
	calls   int                   // calls of imports.Process, for tests
}

// sortImports orders specs by path (then name), in place. The fixer's
// answers come from map iteration or from goimports; without one order the
// same cell would compose a different program each time and miss the binary
// cache (and a build ahead of it). Import order means nothing to Go: package
// initialisation follows the import graph.
func sortImports(specs []importSpec) []importSpec {
	slices.SortFunc(specs, func(a, b importSpec) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return specs
}

// fix returns the imports the program needs, starting from candidates.
// body is the program after its import block (declarations and main).
func (f *importFixer) fix(body []byte, candidates []importSpec) ([]importSpec, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "main.go", append([]byte("package main\n"), body...), parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	n := namesOf(file)
	var kept []importSpec
	bound := map[string]bool{}
	for _, imp := range candidates {
		name := imp.localName()
		if imp.Name == "_" || imp.Name == "." || (n.refs[name] != nil && !n.topLevel[name]) {
			kept = append(kept, imp)
			bound[name] = true
		}
	}
	var unknown []string
	var asked []string // memo keys of the names Process must settle
	specs := kept
	for r, sels := range n.refs {
		switch {
		case n.topLevel[r] || bound[r]:
		case !f.std.isPackageName(r):
			unknown = append(unknown, r)
		case !n.local[r] && len(f.std.byName[r]) == 1:
			// One standard package has this name: Process could only add
			// it (or, for a misspelt member, nothing, and then the
			// fallback below adds it anyway). Asking it would cost
			// 3-7 ms a cell for the same answer.
			specs = append(specs, importSpec{Path: f.std.byName[r][0]})
		default:
			key := r + " " + strings.Join(slices.Sorted(maps.Keys(sels)), ",")
			f.mu.Lock()
			spec, known := f.answers[key]
			f.mu.Unlock()
			if known && !n.local[r] {
				specs = append(specs, spec)
			} else {
				asked = append(asked, key)
			}
		}
	}
	if len(asked) == 0 {
		return sortImports(specs), nil
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
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	out, err := imports.Process(filepath.Join(f.dir, "main.go"), []byte(probe.String()), &imports.Options{TabIndent: true, TabWidth: 8})
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	fixed, err := parser.ParseFile(fset, "fixed.go", out, parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	specs = others
	byName := map[string]importSpec{}
	for _, is := range fixed.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		s := importSpec{Path: p}
		if is.Name != nil {
			s.Name = is.Name.Name
		}
		specs = append(specs, s)
		byName[s.localName()] = s
	}
	f.mu.Lock()
	if f.answers == nil {
		f.answers = map[string]importSpec{}
	}
	for _, key := range asked {
		name, _, _ := strings.Cut(key, " ")
		if s, ok := byName[name]; ok {
			f.answers[key] = s
		}
	}
	f.mu.Unlock()
	// Process adds a standard package only when it has every member the
	// program uses, so one misspelt member (fmt.Printn) would leave fmt
	// unimported and every use of it "undefined: fmt". A name no local
	// declaration may explain gets its standard package anyway, so the
	// compiler reports the member: "undefined: fmt.Printn".
	for _, key := range asked {
		name, _, _ := strings.Cut(key, " ")
		if _, ok := byName[name]; ok || n.local[name] {
			continue
		}
		specs = append(specs, importSpec{Path: f.std.closest(name, n.refs[name])})
	}
	return sortImports(specs), nil
}

// closest returns the standard package called name (one exists) that has
// the most of the members sels: "math/rand" for rand.Intn and rand.Intnn.
// Ties go to the shortest path, then the first in order. It is used only
// for programs that will not compile, so reading sources here is fine.
func (t *stdTable) closest(name string, sels map[string]bool) string {
	t.load()
	paths := t.byName[name]
	if len(paths) == 1 {
		return paths[0]
	}
	best, bestHits := "", -1
	for _, p := range paths {
		exported := t.exportedNames(p)
		hits := 0
		for sel := range sels {
			if exported[sel] {
				hits++
			}
		}
		if hits > bestHits || hits == bestHits && len(p) < len(best) {
			best, bestHits = p, hits
		}
	}
	return best
}

// exportedNames lists the exported top-level names declared in the
// non-test files of a standard package (build constraints ignored).
func (t *stdTable) exportedNames(importPath string) map[string]bool {
	dir := filepath.Join(t.goroot, "src", filepath.FromSlash(importPath))
	entries, _ := os.ReadDir(dir)
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		fn := e.Name()
		if !strings.HasSuffix(fn, ".go") || strings.HasSuffix(fn, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, fn), nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for name := range namesOf(file).topLevel {
			if token.IsExported(name) {
				names[name] = true
			}
		}
	}
	return names
}

func (f *importFixer) isStdPath(p string) bool {
	f.std.load()
	_, found := slices.BinarySearch(f.std.paths, p)
	return found
}

// fileNames is what fix needs to know about the names of a file.
type fileNames struct {
	topLevel map[string]bool            // declared at package level
	local    map[string]bool            // declared in some function (params, :=, var, range)
	refs     map[string]map[string]bool // X -> the Sel of every X.Sel
}

// namesOf collects the names of file. It does not resolve scopes: a name
// declared locally anywhere is in local, which is enough to know when the
// precise answer of imports.Process is needed.
func namesOf(file *ast.File) fileNames {
	n := fileNames{topLevel: map[string]bool{}, local: map[string]bool{}, refs: map[string]map[string]bool{}}
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				n.topLevel[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, id := range s.Names {
						n.topLevel[id.Name] = true
					}
				case *ast.TypeSpec:
					n.topLevel[s.Name.Name] = true
				}
			}
		}
	}
	declareFields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			for _, id := range f.Names {
				n.local[id.Name] = true
			}
		}
	}
	ast.Inspect(file, func(node ast.Node) bool {
		switch node := node.(type) {
		case *ast.FuncType: // parameters and results, not struct fields
			declareFields(node.TypeParams)
			declareFields(node.Params)
			declareFields(node.Results)
		case *ast.FuncDecl:
			declareFields(node.Recv)
		case *ast.DeclStmt:
			if gd, ok := node.Decl.(*ast.GenDecl); ok {
				for _, s := range gd.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, id := range s.Names {
							n.local[id.Name] = true
						}
					case *ast.TypeSpec:
						n.local[s.Name.Name] = true
					}
				}
			}
		case *ast.AssignStmt:
			if node.Tok == token.DEFINE {
				for _, l := range node.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						n.local[id.Name] = true
					}
				}
			}
		case *ast.RangeStmt:
			if node.Tok == token.DEFINE {
				for _, e := range []ast.Expr{node.Key, node.Value} {
					if id, ok := e.(*ast.Ident); ok {
						n.local[id.Name] = true
					}
				}
			}
		case *ast.SelectorExpr:
			if id, ok := node.X.(*ast.Ident); ok {
				if n.refs[id.Name] == nil {
					n.refs[id.Name] = map[string]bool{}
				}
				n.refs[id.Name][node.Sel.Name] = true
			}
		}
		return true
	})
	return n
}
