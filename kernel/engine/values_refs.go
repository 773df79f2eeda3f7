package engine

import (
	"go/ast"
	"go/token"
	"go/types"
)

// What a cell's program really does with the kept variables it declares.
// planLoads picks them by name, which is all it can do before the program
// is composed: a field or method called like a kept variable (acct.count,
// tally{count: 1}), a parameter or local variable that shadows it, or a
// label would load the value and save it again, and %who would say the cell
// changed it. Once the program type-checks, go/types says which identifiers
// are the package variables themselves; keptRefs follows them from the code
// that may run and tells which kept variables are used at all and which
// may be changed.

// keptRefs is the answer for one program.
type keptRefs struct {
	// used are the variables in question (candidates and vars) that code
	// that may run refers to.
	used map[string]bool
	// written are those of used that this code may change (see mayChange).
	written map[string]bool
	// byCell are the package vars in question (keptRefsQuery.vars) that the
	// cell's own code refers to: its statements and declarations and what
	// they reach, not the init funcs and var initializers of earlier cells
	// that a program runs because a name matched.
	byCell map[string]bool
	// checked says the program was type-checked: the sets above are known.
	checked bool
}

// keptRefsQuery says what analyzeKeptRefs looks for.
type keptRefsQuery struct {
	candidates map[string]bool // the kept variables in question
	cellFunc   string          // the function that runs the cell's statements
	cellFile   string          // positions of this cell's own declarations
	register   []string        // types the program registers (they may sit in interfaces)
	vars       map[string]bool // package vars asked about for byCell
}

// analyzeKeptRefs follows references from the code that may run in the
// program: the cell's statements, the cell's own declarations (a func it
// declares is there to be called), init funcs and package var initializers,
// and every declaration those refer to, with all the methods of each type
// reached (an interface may call any of them). The generated main is left
// out, and so is the var whose initializer loads the kept values: they name
// every loaded variable to load it.
func analyzeKeptRefs(fset *token.FileSet, file *ast.File, info *types.Info, pkg *types.Package, q keptRefsQuery) keptRefs {
	refs := keptRefs{used: map[string]bool{}, written: map[string]bool{}, byCell: map[string]bool{}}
	if pkg == nil {
		return refs
	}
	refs.checked = true
	scope := pkg.Scope()
	nodeOf := map[types.Object]ast.Node{} // package-level object or method -> its declaration
	methodsOf := map[string][]ast.Node{}  // receiver base type name -> its methods
	// roots run in the program whatever the cell does; cellRoots are the
	// cell's own code.
	var roots, cellRoots []ast.Node
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if obj := info.Defs[d.Name]; obj != nil {
				nodeOf[obj] = d
			}
			if d.Recv != nil {
				if base := receiverBase(d.Recv); base != "" {
					methodsOf[base] = append(methodsOf[base], d)
				}
			} else if d.Name.Name == q.cellFunc {
				cellRoots = append(cellRoots, d)
			} else if d.Name.Name == "init" {
				roots = append(roots, d)
			}
			if fset.Position(d.Name.Pos()).Filename == q.cellFile {
				cellRoots = append(cellRoots, d)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				var names []*ast.Ident
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = []*ast.Ident{s.Name}
				case *ast.ValueSpec:
					names = s.Names
					if d.Tok == token.VAR && len(s.Values) > 0 && fset.Position(s.Pos()).Filename != generatedFile {
						roots = append(roots, s) // its initializer runs (not the generated loader's: it names what it loads)
					}
				default:
					continue
				}
				for _, n := range names {
					if obj := info.Defs[n]; obj != nil {
						nodeOf[obj] = s
					}
					if fset.Position(n.Pos()).Filename == q.cellFile {
						cellRoots = append(cellRoots, s)
					}
				}
			}
		}
	}
	for _, name := range q.register {
		if obj, ok := scope.Lookup(name).(*types.TypeName); ok && nodeOf[obj] != nil {
			cellRoots = append(cellRoots, nodeOf[obj])
		}
	}

	// walk follows references from roots and calls use for each use of a
	// package var.
	walk := func(roots []ast.Node, use func(v *types.Var, id *ast.Ident, stack []ast.Node)) {
		seen := map[ast.Node]bool{}
		queue := []ast.Node{}
		reach := func(n ast.Node) {
			if n != nil && !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
		for _, r := range roots {
			reach(r)
		}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			if ts, ok := n.(*ast.TypeSpec); ok {
				for _, m := range methodsOf[ts.Name.Name] {
					reach(m)
				}
			}
			ast.PreorderStack(n, nil, func(node ast.Node, stack []ast.Node) bool {
				id, ok := node.(*ast.Ident)
				if !ok {
					return true
				}
				obj := info.Uses[id]
				if obj == nil || obj.Pkg() != pkg {
					return true
				}
				if fn, isFunc := obj.(*types.Func); isFunc && fn.Signature().Recv() != nil {
					reach(nodeOf[fn.Origin()]) // a method called by name
					return true
				}
				if obj.Parent() != scope {
					return true // a local, a field, a label
				}
				reach(nodeOf[obj])
				if v, isVar := obj.(*types.Var); isVar {
					use(v, id, stack)
				}
				return true
			})
		}
	}
	walk(append(cellRoots, roots...), func(v *types.Var, id *ast.Ident, stack []ast.Node) {
		if q.vars[v.Name()] {
			refs.used[v.Name()] = true
		}
		if q.candidates[v.Name()] {
			refs.used[v.Name()] = true
			if !refs.written[v.Name()] && mayChange(id, stack, info) {
				refs.written[v.Name()] = true
			}
		}
	})
	if len(q.vars) > 0 {
		walk(cellRoots, func(v *types.Var, _ *ast.Ident, _ []ast.Node) {
			if q.vars[v.Name()] {
				refs.byCell[v.Name()] = true
			}
		})
	}
	return refs
}

// receiverBase is the name of the type a method is declared on.
func receiverBase(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) != 1 {
		return ""
	}
	t := recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.ParenExpr:
			t = x.X
		case *ast.IndexExpr: // a generic type's method: T[E]
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// mayChange reports whether the use id of a package variable (stack: the
// nodes around it, innermost last) may change its value. It follows the
// expression that holds the use up to where its value goes: into a part
// that is written (x.n++, xs[0] = 1, p.v = 2, m[k] = v), to an address
// (&x, a pointer method), or anywhere the value is copied. A copy of a
// plain value changes nothing; a copy of a value that holds references
// (a pointer, slice, map, interface) shares its memory with whatever
// receives it, which may change it, now or after the cell: such a use
// counts as a change (and the value is saved, so the sharing is kept).
// Reads that cannot change anything stay reads: len(xs), xs[i] of plain
// elements, p.n, a comparison, a range whose variables are plain, and
// printing or showing a value none of whose types has methods.
func mayChange(id *ast.Ident, stack []ast.Node, info *types.Info) bool {
	typeOf := func(e ast.Expr) types.Type {
		if tv, ok := info.Types[e]; ok && tv.Type != nil {
			return tv.Type
		}
		if id, ok := e.(*ast.Ident); ok {
			if obj := info.Uses[id]; obj != nil {
				return obj.Type()
			}
		}
		return nil
	}
	// copied: the value of e goes somewhere else.
	copied := func(e ast.Expr) bool {
		t := typeOf(e)
		return t == nil || holdsReferences(t)
	}
	var e ast.Expr = id
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			e = p
			continue
		case *ast.StarExpr:
			e = p
			continue
		case *ast.TypeAssertExpr:
			e = p
			continue
		case *ast.SelectorExpr:
			sel := info.Selections[p]
			if p.X != e || sel == nil {
				return true // not known: say it may
			}
			if sel.Kind() == types.FieldVal {
				e = p // a part of the value: what happens to it happens to the variable
				continue
			}
			// A method: one with a pointer receiver takes the address; one
			// with a value receiver gets a copy.
			sig, _ := sel.Obj().Type().(*types.Signature)
			if sig == nil || sig.Recv() == nil {
				return true
			}
			if _, ptr := sig.Recv().Type().Underlying().(*types.Pointer); ptr {
				return true
			}
			return copied(e)
		case *ast.IndexExpr:
			if p.X != e {
				return copied(e) // used as an index (a map's key is kept by the map)
			}
			e = p // an element
			continue
		case *ast.SliceExpr:
			if p.X != e {
				return false // an index
			}
			e = p // shares the memory: where it goes decides
			continue
		case *ast.UnaryExpr:
			return p.Op == token.AND
		case *ast.BinaryExpr:
			return false // arithmetic, comparison: reads
		case *ast.IncDecStmt:
			return true
		case *ast.AssignStmt:
			for i, l := range p.Lhs {
				if l == e {
					return true
				}
				// _ = x: a trailing expression, shown as the cell's value
				// (cellrt.Result) when the program runs.
				if blank, ok := l.(*ast.Ident); ok && blank.Name == "_" && len(p.Rhs) == len(p.Lhs) && p.Rhs[i] == e && methodFree(typeOf(e)) {
					return false
				}
			}
			return copied(e)
		case *ast.RangeStmt:
			if p.X != e {
				return true // assigned by the range
			}
			key, val := rangeTypes(typeOf(e))
			return key == nil || (p.Key != nil && holdsReferences(key)) || (p.Value != nil && holdsReferences(val))
		case *ast.CallExpr:
			if p.Fun == e {
				return true
			}
			if tv, ok := info.Types[p.Fun]; ok && tv.IsType() {
				e = p // a conversion: where the result goes decides
				continue
			}
			if fn, ok := ast.Unparen(p.Fun).(*ast.Ident); ok {
				if b, ok := info.Uses[fn].(*types.Builtin); ok {
					switch b.Name() {
					case "len", "cap", "min", "max", "real", "imag", "complex", "print", "println":
						return false
					}
					return true // append, copy, delete, clear... change what they are given
				}
			}
			if shows(p, e, info) && methodFree(typeOf(e)) {
				return false // printed or shown: nothing of it can run but fmt's reading
			}
			return copied(e) // the function gets a copy
		}
		return copied(e)
	}
	return true
}

// shows reports whether call only prints or shows its argument arg: the
// cell's value (cellrt.Result), fmt.Print*, fmt.Sprint*, fmt.Fprint* (not
// its writer).
func shows(call *ast.CallExpr, arg ast.Expr, info *types.Info) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	pkg, ok := info.Uses[x].(*types.PkgName)
	if !ok {
		return false
	}
	switch path, name := pkg.Imported().Path(), sel.Sel.Name; {
	case path == cellrtImportPath && (name == "Result" || name == "Results"):
		return true
	case path == "fmt" && (name == "Print" || name == "Println" || name == "Printf" || name == "Sprint" || name == "Sprintln" || name == "Sprintf"):
		return true
	case path == "fmt" && (name == "Fprint" || name == "Fprintln" || name == "Fprintf"):
		return len(call.Args) > 0 && call.Args[0] != arg
	}
	return false
}

// methodFree reports whether no part of a value of type t has a method:
// printing or showing it then only reads it (a String or MIMEBundle method
// could change what it is called on).
func methodFree(t types.Type) bool {
	if t == nil {
		return false
	}
	seen := map[types.Type]bool{}
	var free func(types.Type) bool
	free = func(t types.Type) bool {
		t = types.Unalias(t)
		if seen[t] {
			return true
		}
		seen[t] = true
		if n, ok := t.(*types.Named); ok {
			if types.NewMethodSet(n).Len() > 0 || types.NewMethodSet(types.NewPointer(n)).Len() > 0 {
				return false
			}
		}
		switch u := t.Underlying().(type) {
		case *types.Basic:
			return u.Kind() != types.UnsafePointer
		case *types.Pointer:
			return free(u.Elem())
		case *types.Slice:
			return free(u.Elem())
		case *types.Array:
			return free(u.Elem())
		case *types.Map:
			return free(u.Key()) && free(u.Elem())
		case *types.Struct:
			for i := range u.NumFields() {
				if !free(u.Field(i).Type()) {
					return false
				}
			}
			return true
		}
		return false // an interface, a channel, a func, a type parameter
	}
	return free(t)
}

// rangeTypes returns the types of the key and the value of a range over a
// value of type t; key is nil when not known (a func iterator, say).
func rangeTypes(t types.Type) (key, val types.Type) {
	if t == nil {
		return nil, nil
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	intT := types.Typ[types.Int]
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return intT, u.Elem()
	case *types.Array:
		return intT, u.Elem()
	case *types.Map:
		return u.Key(), u.Elem()
	case *types.Basic:
		if u.Info()&types.IsString != 0 {
			return intT, types.Typ[types.Rune]
		}
		if u.Info()&types.IsInteger != 0 {
			return t, nil
		}
	}
	return nil, nil
}

// holdsReferences reports whether values of t refer to memory outside
// themselves: a pointer, slice, map, channel, func or interface, in any part.
func holdsReferences(t types.Type) bool {
	seen := map[types.Type]bool{}
	var walk func(types.Type) bool
	walk = func(t types.Type) bool {
		if seen[t] {
			return false
		}
		seen[t] = true
		switch u := t.Underlying().(type) {
		case *types.Basic:
			return u.Kind() == types.UnsafePointer || u.Kind() == types.Invalid
		case *types.Array:
			return walk(u.Elem())
		case *types.Struct:
			for i := range u.NumFields() {
				if walk(u.Field(i).Type()) {
					return true
				}
			}
			return false
		}
		return true
	}
	return walk(t)
}
