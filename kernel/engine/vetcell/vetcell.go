// Package vetcell runs a few of go vet's checks in-process on one
// type-checked program: the ones that catch concurrency mistakes students
// make (a struct holding a sync.Mutex copied by a value receiver, a
// WaitGroup passed by value, wg.Add inside the goroutine, a lost cancel
// func), which `go run` and `go test`'s default vet subset do not report,
// and the two of that default subset a notebook's code trips over most
// (a Printf verb that does not fit its argument, string(int)), which
// `go run` does not report either.
//
// The checks are golang.org/x/tools analyzers that need no facts from other
// packages, so one package's syntax and types are enough: Check builds each
// analysis.Pass by hand instead of loading packages with a driver.
package vetcell

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/atomic"
	"golang.org/x/tools/go/analysis/passes/copylock"
	"golang.org/x/tools/go/analysis/passes/lostcancel"
	"golang.org/x/tools/go/analysis/passes/printf"
	"golang.org/x/tools/go/analysis/passes/stringintconv"
	"golang.org/x/tools/go/analysis/passes/unusedresult"
	"golang.org/x/tools/go/analysis/passes/waitgroup"
)

// Analyzers are the checks Check runs. Each is cheap (one walk of the
// syntax, lostcancel a control-flow graph per function that calls
// context.WithCancel) and reports in the package alone. loopclosure is not
// among them: since Go 1.22 each loop iteration has its own variable.
var Analyzers = []*analysis.Analyzer{
	copylock.Analyzer,
	waitgroup.Analyzer,
	lostcancel.Analyzer,
	atomic.Analyzer,
	unusedresult.Analyzer,
	printf.Analyzer,
	stringintconv.Analyzer,
}

// Finding is one thing a check reports.
type Finding struct {
	// Pos is where, after //line directives: a cell's file and line when
	// the program says so.
	Pos   token.Position
	Check string // the analyzer's name, as go vet calls it: "copylocks"
	Msg   string // vet's message, types of package main unqualified
	// Hint says how to fix it, when that is plain from the code
	// ("use a pointer receiver: func (c *Counter) Inc"); may be "".
	Hint string
}

// Check type-checks files as package main, importing with imp, and runs
// Analyzers on them. goVersion is the language version ("go1.26"; "" for
// the type checker's). A program with type errors returns an error and no
// findings: the compiler reports those better.
func Check(fset *token.FileSet, files []*ast.File, imp types.Importer, goVersion string) (findings []Finding, err error) {
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		Instances:    map[*ast.Ident]types.Instance{},
		FileVersions: map[*ast.File]string{},
	}
	var typeErr error
	conf := types.Config{
		Importer:    imp,
		GoVersion:   goVersion,
		FakeImportC: true,
		Sizes:       types.SizesFor("gc", runtime.GOARCH),
		Error: func(err error) {
			if typeErr == nil {
				typeErr = err
			}
		},
	}
	pkg, _ := conf.Check("main", fset, files, info)
	if typeErr != nil {
		return nil, fmt.Errorf("vetcell: type check: %w", typeErr)
	}
	// An analyzer's bug must not take the kernel down with it.
	defer func() {
		if r := recover(); r != nil {
			findings, err = nil, fmt.Errorf("vetcell: analyzer panicked: %v", r)
		}
	}()
	r := &runner{
		fset: fset, files: files, pkg: pkg, info: info, sizes: conf.Sizes,
		results: map[*analysis.Analyzer]any{},
		facts:   map[factKey]analysis.Fact{},
	}
	var diags []analysis.Diagnostic
	var checks []string
	for _, a := range Analyzers {
		if _, err := r.run(a, func(d analysis.Diagnostic) {
			diags = append(diags, d)
			checks = append(checks, a.Name)
		}); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, d := range diags {
		f := Finding{Pos: fset.Position(d.Pos), Check: checks[i], Msg: unqualify(d.Message)}
		if f.Check == copylock.Analyzer.Name {
			f.Hint = copyHint(files, d.Pos)
		}
		key := fmt.Sprint(f.Pos, f.Msg)
		if seen[key] {
			continue
		}
		seen[key] = true
		findings = append(findings, f)
	}
	slices.SortStableFunc(findings, func(a, b Finding) int {
		if c := strings.Compare(a.Pos.Filename, b.Pos.Filename); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	return findings, nil
}

// runner runs analyzers over one package, each once, those an analyzer
// requires first (inspect, ctrlflow), their results kept for the next.
type runner struct {
	fset    *token.FileSet
	files   []*ast.File
	pkg     *types.Package
	info    *types.Info
	sizes   types.Sizes
	results map[*analysis.Analyzer]any
	// facts are the ones analyzers export about this package's objects
	// (ctrlflow: which funcs never return); there is no other package to
	// get facts from.
	facts map[factKey]analysis.Fact
}

type factKey struct {
	obj types.Object
	typ reflect.Type
}

func (r *runner) run(a *analysis.Analyzer, report func(analysis.Diagnostic)) (any, error) {
	if res, ok := r.results[a]; ok {
		return res, nil
	}
	for _, req := range a.Requires {
		if _, err := r.run(req, func(analysis.Diagnostic) {}); err != nil {
			return nil, err
		}
	}
	pass := &analysis.Pass{
		Analyzer:   a,
		Fset:       r.fset,
		Files:      r.files,
		Pkg:        r.pkg,
		TypesInfo:  r.info,
		TypesSizes: r.sizes,
		Report:     report,
		ResultOf:   map[*analysis.Analyzer]any{},
		ReadFile: func(name string) ([]byte, error) {
			return nil, errors.New("vetcell: no files to read")
		},
		ImportObjectFact: func(obj types.Object, fact analysis.Fact) bool {
			got, ok := r.facts[factKey{obj, reflect.TypeOf(fact)}]
			if ok {
				reflect.ValueOf(fact).Elem().Set(reflect.ValueOf(got).Elem())
			}
			return ok
		},
		ExportObjectFact: func(obj types.Object, fact analysis.Fact) {
			r.facts[factKey{obj, reflect.TypeOf(fact)}] = fact
		},
		ImportPackageFact: func(*types.Package, analysis.Fact) bool { return false },
		ExportPackageFact: func(analysis.Fact) {},
		AllObjectFacts:    func() []analysis.ObjectFact { return nil },
		AllPackageFacts:   func() []analysis.PackageFact { return nil },
	}
	for _, req := range a.Requires {
		pass.ResultOf[req] = r.results[req]
	}
	res, err := a.Run(pass)
	if err != nil {
		return nil, fmt.Errorf("vetcell: %s: %w", a.Name, err)
	}
	r.results[a] = res
	return res, nil
}

// mainQualifier matches "main." qualifying a type of package main in a
// message ("main.Counter contains sync.Mutex"): a notebook has one package,
// so its types need no qualifier.
var mainQualifier = regexp.MustCompile(`(^|[^\pL\pN_.])main\.`)

func unqualify(msg string) string { return mainQualifier.ReplaceAllString(msg, "$1") }

// copyHint says how to fix a lock copied at pos where the code makes it
// plain: a value receiver or parameter becomes a pointer, a range over
// values one over indexes.
func copyHint(files []*ast.File, pos token.Pos) string {
	var h string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if h != "" {
				return false
			}
			if n == nil || n.Pos() > pos || n.End() <= pos {
				return n == nil
			}
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv != nil && len(n.Recv.List) == 1 && n.Recv.List[0].Type.Pos() == pos {
					recv := n.Recv.List[0]
					name := ""
					if len(recv.Names) == 1 {
						name = recv.Names[0].Name + " "
					}
					h = fmt.Sprintf("use a pointer receiver: func (%s*%s) %s", name, exprString(recv.Type), n.Name.Name)
					return false
				}
			case *ast.FuncType:
				if n.Params != nil {
					for _, p := range n.Params.List {
						if p.Type.Pos() == pos {
							h = fmt.Sprintf("pass a pointer: *%s", exprString(p.Type))
							return false
						}
					}
				}
			case *ast.RangeStmt:
				if n.Value != nil && n.Value.Pos() == pos {
					h = fmt.Sprintf("range over the indexes and use a pointer: for i := range %s { p := &%s[i] ... }", exprString(n.X), exprString(n.X))
					return false
				}
			}
			return true
		})
	}
	return h
}

// exprString is the source form of a short expression (a type, a variable).
func exprString(x ast.Expr) string { return types.ExprString(x) }
