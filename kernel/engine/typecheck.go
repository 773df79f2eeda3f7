package engine

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// valueChecker answers one question with go/types: how many values does the
// cell's trailing expression have to show? `6*7` has one (shown as Out[n]),
// `strconv.Atoi(s)` two (shown like a tuple), `wg.Wait()` none, and neither
// has an output call such as `fmt.Println(x)` (see forEffect).
//
// It imports packages from the export data the fast path already built
// (the importcfg's files), so it needs no go command and no source. The
// importer caches what it read, so each package is read once per engine.
type valueChecker struct {
	mu    sync.Mutex
	fset  *token.FileSet // positions of imported objects
	imp   types.Importer
	files func(path string) (string, bool) // import path -> export file
}

func newValueChecker(files func(path string) (string, bool)) *valueChecker {
	vc := &valueChecker{fset: token.NewFileSet(), files: files}
	vc.imp = importer.ForCompiler(vc.fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := vc.files(path)
		if !ok {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(file)
	})
	return vc
}

// preload reads the export data of paths into the importer's cache,
// ignoring any that fail (a cell importing it reports why). The engine
// calls it as it starts, while nothing waits for the kernel (a client's
// wait_for_ready idles 0.2 s): the first cells that type-check otherwise
// read fmt, sync, nb, keep ... themselves, measured 6-18 ms in their
// values or types stage.
func (vc *valueChecker) preload(paths []string) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for _, p := range paths {
		vc.imp.Import(p)
	}
}

// valueCount type-checks src and returns the number of values to show of
// the expression starting at byte offset off (a call's results, 0 for an
// output call; 1 for any other expression). ok is false when the type
// checker could not tell (the program has errors the compiler will report
// anyway).
func (vc *valueChecker) valueCount(src []byte, off int) (n int, ok bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		return 0, false
	}
	var target ast.Expr
	ast.Inspect(file, func(n ast.Node) bool {
		if target != nil {
			return false
		}
		if e, isExpr := n.(ast.Expr); isExpr && fset.PositionFor(e.Pos(), false).Offset == off {
			target = e
			return false
		}
		return true
	})
	if target == nil {
		return 0, false
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: vc.imp, Error: func(error) {}, FakeImportC: true}
	conf.Check("main", fset, []*ast.File{file}, info)
	tv, found := info.Types[target]
	if !found || tv.Type == nil {
		return 0, false
	}
	switch {
	case tv.IsVoid():
		return 0, true
	case tv.IsType():
		return 0, true // a type is not a value
	}
	if tuple, isTuple := tv.Type.(*types.Tuple); isTuple {
		if forEffect(target, tuple) {
			return 0, true
		}
		return tuple.Len(), true
	}
	return 1, true
}

// forEffect reports whether a call is an I/O call whose results (a count
// and an error) nobody wants shown: fmt.Println and the other functions and
// methods named in forEffectPrefixes. A Python print returns None; a
// notebook of Println cells must not show (3, <nil>) under each.
func forEffect(x ast.Expr, results *types.Tuple) bool {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || results.Len() != 2 {
		return false
	}
	var name string
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
	default:
		return false
	}
	if !slices.ContainsFunc(forEffectPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
		return false
	}
	count, isBasic := results.At(0).Type().Underlying().(*types.Basic)
	return isBasic && count.Info()&types.IsInteger != 0 && types.Identical(results.At(1).Type(), types.Universe.Lookup("error").Type())
}

// members type-checks src and lists the fields and methods of the value
// named by the identifier name at position file:line:col (after //line
// directives): what may follow "x." in a completion.
func (vc *valueChecker) members(src []byte, name, file string, line, col int) ([]string, namedType) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, namedType{}
	}
	var target *ast.Ident
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && target == nil && id.Name == name {
			if p := fset.Position(id.Pos()); p.Filename == file && p.Line == line && p.Column == col {
				target = id
			}
		}
		return target == nil
	})
	if target == nil {
		return nil, namedType{}
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: vc.imp, Error: func(error) {}, FakeImportC: true}
	pkg, _ := conf.Check("main", fset, []*ast.File{f}, info)
	obj := info.Uses[target]
	if obj == nil {
		obj = info.Defs[target]
	}
	if obj == nil || obj.Type() == nil {
		return nil, namedType{}
	}
	if _, isPkg := obj.(*types.PkgName); isPkg {
		return nil, namedType{}
	}
	typ := obj.Type()
	var named namedType
	if n, ok := deref(typ).(*types.Named); ok && n.Obj().Pkg() != nil {
		named = namedType{Path: n.Obj().Pkg().Path(), Name: n.Obj().Name()}
	}
	var names []string
	seen := map[string]bool{}
	add := func(o types.Object) {
		if (o.Exported() || o.Pkg() == pkg) && !seen[o.Name()] {
			seen[o.Name()] = true
			names = append(names, o.Name())
		}
	}
	// A variable is addressable: pointer methods are callable on it too.
	ms := typ
	if _, isPtr := typ.Underlying().(*types.Pointer); !isPtr && !types.IsInterface(typ) {
		if _, isVar := obj.(*types.Var); isVar {
			ms = types.NewPointer(typ)
		}
	}
	mset := types.NewMethodSet(ms)
	for i := 0; i < mset.Len(); i++ {
		add(mset.At(i).Obj())
	}
	st := typ
	if p, isPtr := st.Underlying().(*types.Pointer); isPtr {
		st = p.Elem()
	}
	if s, isStruct := st.Underlying().(*types.Struct); isStruct {
		for i := 0; i < s.NumFields(); i++ {
			add(s.Field(i))
		}
	}
	return names, named
}

// forEffectPrefixes start the names of the calls forEffect hides when they
// return (integer, error): printing (fmt.Println, fmt.Fprintf), writing
// (w.Write, b.WriteString), copying (io.Copy) and scanning into variables
// (fmt.Scanln(&name), fmt.Sscan).
var forEffectPrefixes = []string{"Print", "Fprint", "Write", "Copy", "Scan", "Fscan", "Sscan"}

// namedType is a defined type by package path and name ("bufio", "Reader").
type namedType struct{ Path, Name string }

func deref(t types.Type) types.Type {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}
