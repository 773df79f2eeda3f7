package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/keep"
	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// The values stage: variables carry over from cell to cell like Python's
// globals. After a cell succeeds, the values of its top-level := variables
// and of the package vars its program has are saved (package keep); a later
// cell that uses such a name declares it as a package var of the same type
// and loads the value before its code runs, so the initializer does not run
// again and every func sees the variable. The engine calls this stage at two
// points: planning a program (which kept values it loads, which variables
// it saves) and after the run (commit only when the cell succeeded).

// valueSection is what compose writes for the kept values of one program.
type valueSection struct {
	Vars     []valueVar        // package vars it declares: kept := variables and this cell's := variables
	Load     []string          // loaded before the cell's code runs
	Save     []string          // saved when the cell's code returns
	Replace  map[string]string // var declarations written without initializer: name -> type
	Convert  map[int]bool      // cell offsets of := statements written as assignments
	Imports  map[string]string // alias -> path, for the types
	Register []string          // the cell's types, so an interface may hold them
	// Sentinels are sentinel errors ("context.Canceled") the program
	// registers with keep so that a kept error equal to one carries as
	// itself (keep/sentinels.go): those of the packages it imports that
	// keep does not link, and those its loaded values hold.
	Sentinels []string
	// Plain are the fingerprints (keep.Kept.Plain) of the loaded and
	// saved variables that package keep/plain keeps without keep's codec:
	// of predeclared types (int, string, ...) and of types a cell declares
	// on them (type celsius float64).
	Plain map[string]string
}

type valueVar struct{ Name, Type string }

func (vs *valueSection) keeps() bool {
	return vs != nil && (len(vs.Load) > 0 || len(vs.Save) > 0)
}

// keepsPlain reports whether every value the program loads and saves is
// of a predeclared type: it keeps them with package keep/plain, whose few
// type switches link in a fraction of the time keep's reflective codec
// takes (≈ 1 ms against ≈ 10 ms), and registers no types (no such value
// holds an interface).
func (vs *valueSection) keepsPlain() bool {
	if !vs.keeps() {
		return false
	}
	for _, names := range [][]string{vs.Load, vs.Save} {
		for _, n := range names {
			if vs.Plain[n] == "" {
				return false
			}
		}
	}
	return true
}

// plainFingerprint is keep's Fingerprint of t when package keep/plain
// keeps values of t, "" when only keep does: t is a predeclared type
// (".int"), or a type declared at the top level of a cell on one
// ("main.celsius=float64"; the program hands plain the variable as its
// predeclared type, which merged must not declare anew: type int struct{}).
func plainFingerprint(t types.Type, merged *declSet) string {
	t = types.Unalias(t)
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return ""
	}
	name := types.Typ[b.Kind()].Name() // byte and rune as uint8 and int32, as reflect names them
	if !plain.Loads(name) {
		return "" // unsafe.Pointer, an untyped or invalid type
	}
	switch t := t.(type) {
	case *types.Basic:
		return "." + name
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil || obj.Pkg().Path() != "main" || obj.Parent() != obj.Pkg().Scope() || t.TypeArgs().Len() > 0 || len(merged.lookup(name)) > 0 {
			return ""
		}
		return "main." + obj.Name() + "=" + name
	}
	return ""
}

// plainUnder is the predeclared type of a plain fingerprint: int for ".int"
// and for "main.state=int".
func plainUnder(fp string) string {
	if _, under, ok := strings.Cut(fp, "="); ok {
		return under
	}
	return strings.TrimPrefix(fp, ".")
}

// keepPath is the import path of the package the program keeps values with.
func (vs *valueSection) keepPath() string {
	if vs.keepsPlain() {
		return plainImportPath
	}
	return keepImportPath
}

// usedImports returns the alias imports the declared types need.
func (vs *valueSection) usedImports() map[string]string {
	out := map[string]string{}
	if vs == nil {
		return out
	}
	var types []string
	for _, v := range vs.Vars {
		types = append(types, v.Type)
	}
	for _, t := range vs.Replace {
		types = append(types, t)
	}
	if !vs.keepsPlain() {
		types = append(types, vs.Register...) // registered through keep only
		for _, full := range vs.Sentinels {
			types = append(types, sentinelExpr(full))
		}
	}
	for alias, path := range vs.Imports {
		for _, t := range types {
			if strings.Contains(t, alias+".") {
				out[alias] = path
				break
			}
		}
	}
	return out
}

// registerDyn registers a named type ("pkgpath.Name") a kept value holds
// inside an interface, so that it can be loaded: the cell's types by name,
// others' exported types through an alias import.
func (vs *valueSection) registerDyn(key string) {
	if full, ok := strings.CutPrefix(key, "="); ok {
		vs.addSentinel(full) // a sentinel error, not a type
		return
	}
	i := strings.LastIndexByte(key, '.')
	if i < 0 || strings.ContainsAny(key[i:], "[]") {
		return // a generic instantiation: not written by name here
	}
	path, name := key[:i], key[i+1:]
	if path == "main" {
		if !slices.Contains(vs.Register, name) {
			vs.Register = append(vs.Register, name)
		}
		return
	}
	if !token.IsExported(name) {
		return
	}
	alias := typeAlias(path)
	vs.Imports[alias] = path
	if t := alias + "." + name; !slices.Contains(vs.Register, t) {
		vs.Register = append(vs.Register, t)
	}
}

// importedSentinels are the sentinel errors of packages package keep does
// not link (it knows io's, os's, strconv's ... itself), by import path: a
// program that imports one of these packages registers them.
var importedSentinels = map[string][]string{
	"context": {"Canceled", "DeadlineExceeded"},
}

// addSentinel has the program register the sentinel error full
// ("context.Canceled"), through an alias import of its package.
func (vs *valueSection) addSentinel(full string) {
	i := strings.LastIndexByte(full, '.')
	if i < 0 || !token.IsExported(full[i+1:]) || slices.Contains(vs.Sentinels, full) {
		return
	}
	vs.Imports[typeAlias(full[:i])] = full[:i]
	vs.Sentinels = append(vs.Sentinels, full)
}

// addImportedSentinels registers the sentinels of the packages in imports
// (importedSentinels), for a program that keeps values with keep's codec:
// a value this cell makes may be one of them.
func (vs *valueSection) addImportedSentinels(imports []importSpec) {
	if !vs.keeps() || vs.keepsPlain() {
		return
	}
	for _, imp := range imports {
		for _, name := range importedSentinels[imp.Path] {
			vs.addSentinel(imp.Path + "." + name)
		}
	}
}

// sentinelExpr is how the program names the sentinel full: through the
// alias import of its package.
func sentinelExpr(full string) string {
	i := strings.LastIndexByte(full, '.')
	return typeAlias(full[:i]) + full[i:]
}

// replaces says whether d is a var declaration whose kept value is loaded,
// and the type to declare it with.
func (vs *valueSection) replaces(d decl) (string, bool) {
	if vs == nil || d.Kind != "var" || len(d.Names) != 1 {
		return "", false
	}
	t, ok := vs.Replace[d.Names[0]]
	return t, ok
}

// convert writes the := of s's converted statements as "= " (same width,
// so columns stay right).
func (vs *valueSection) convert(s span) string {
	if vs == nil || len(vs.Convert) == 0 {
		return s.Text
	}
	b := []byte(s.Text)
	for op := range vs.Convert {
		if i := op - s.Off; i >= 0 && i+2 <= len(b) && string(b[i:i+2]) == ":=" {
			b[i], b[i+1] = '=', ' '
		}
	}
	return string(b)
}

// valuePlan is the values stage's decision for one cell.
type valuePlan struct {
	section *valueSection
	// drops are kept values a redefined type invalidates: applied when
	// the cell's declarations are committed (it compiled).
	drops map[string]string
	// types describe the variables the program saves, for the store.
	types map[string]keep.Kept
	// replaced are names this cell declares anew: their old values go,
	// with why the new one did not carry when it does not.
	replaced map[string]keep.Lost
	session  *keep.Session
	// notes are told before the cell runs (init funcs run again).
	notes []valueNote
	// unseeded are init funcs of earlier cells that planLoads chose to run
	// again for a var the cell turned out not to use (a field called like
	// it): the program leaves them out (see trimNotes).
	unseeded map[[2]int]bool
	// view is the kept values the plan was made from: the store itself in
	// Execute, a snapshot in a build ahead (lookahead.go).
	view keptView
}

// valueNote is a note told before the cell runs, about the vars names.
type valueNote struct {
	text  string
	names []string
	// init is the init func of an earlier cell run again for names.
	init *decl
}

// initKey identifies an init func: several may share a cell.
func initKey(d decl) [2]int { return [2]int{d.Cell, d.Text.Off} }

// keptView is what planning reads of the kept values: the store, or a
// snapshot of it that builds ahead read while Execute runs.
type keptView interface {
	Lookup(name string) (*keep.Kept, bool)
	LostValue(name string) (keep.Lost, bool)
	Names() []string
}

// predictKept is what the next cell will see of the kept values if this
// one succeeds: the store with the variables this cell plans to save (each
// alone: which share memory shows only when they are saved).
func (vp *valuePlan) predictKept(s *keep.Store) keptView {
	adds := map[string]keep.Kept{}
	for _, n := range vp.section.Save {
		if k, ok := vp.types[n]; ok {
			adds[n] = k
		}
	}
	return s.Snapshot(adds, slices.Collect(maps.Keys(vp.replaced)))
}

// planLoads chooses the kept values a cell's program loads: those its
// statements, trailing expression and reached declarations name, with the
// others of their group (they share memory) and the declarations of their
// types. It returns the declarations the program uses.
func (e *Engine) planLoads(kept keptView, pc *parsedCell, merged *declSet, count int) ([]decl, *valuePlan) {
	vp := &valuePlan{view: kept, section: &valueSection{Replace: map[string]string{}, Imports: map[string]string{}, Plain: map[string]string{}},
		drops: map[string]string{}, types: map[string]keep.Kept{}, replaced: map[string]keep.Lost{}}
	declared := map[string]bool{}
	for _, d := range pc.Decls {
		if d.Kind != "method" {
			for _, n := range d.Names {
				declared[n] = true
			}
		}
	}
	// A := variable of this cell may be a kept one (x := x + 1 reads the
	// kept x): it is loaded, and planSaves decides whether the := assigns
	// it or declares it anew with another type.
	anew := maps.Clone(declared)
	for _, n := range pc.Defined {
		anew[n] = true
	}
	for n := range anew {
		if _, ok := kept.Lookup(n); ok {
			vp.replaced[n] = keep.Lost{}
		} else if _, ok := kept.LostValue(n); ok {
			vp.replaced[n] = keep.Lost{}
		}
	}
	specs := map[string]decl{}
	for _, d := range merged.Decls {
		if d.Kind == "var" {
			for _, n := range d.Names {
				specs[n] = d
			}
		}
	}
	var extra []string
	load := map[string]*keep.Kept{}
	var seed func(decl) bool
	for {
		used := merged.reachableWith(pc, count, extra, seed)
		ids := map[string]bool{}
		for _, s := range pc.Stmts {
			maps.Copy(ids, identifiers(s.Text))
		}
		if pc.Trailing != nil {
			maps.Copy(ids, identifiers(pc.Trailing.Text))
		}
		for i := range used {
			maps.Copy(ids, used[i].refs())
		}
		grew := false
		for id := range ids {
			k, ok := kept.Lookup(id)
			if !ok || declared[id] || load[id] != nil || vp.drops[id] != "" {
				continue
			}
			group := []*keep.Kept{}
			bad := ""
			for _, n := range k.Group() {
				m, _ := kept.Lookup(n)
				if m == nil || declared[n] {
					bad = n + " was declared anew"
					break
				}
				if why := staleDeps(m, merged); why != "" {
					bad = why
					break
				}
				if m.Decl != "" {
					d, ok := specs[n]
					if !ok || len(d.Names) != 1 {
						bad = "its declaration changed"
						break
					}
				}
				group = append(group, m)
			}
			if bad != "" {
				for _, n := range k.Group() {
					vp.drops[n] = bad
				}
				continue
			}
			for _, m := range group {
				load[m.Name] = m
				grew = true
				for _, d := range m.Dyn {
					if name, ok := strings.CutPrefix(d, "main."); ok {
						extra = append(extra, name) // its declaration, to register it
					}
				}
				if m.Decl != "" {
					extra = append(extra, m.Name) // its declaration, written without initializer
				}
				for dep := range m.Deps {
					extra = append(extra, dep)
				}
			}
		}
		if !grew && seed == nil {
			// A var that does not carry (a map of funcs, a channel) is made
			// anew from its declaration in each cell; an init func of an
			// earlier cell that fills it runs again with it, or the var
			// would be found empty.
			anew := map[string]bool{}
			for _, d := range used {
				if d.Kind == "var" && (len(d.Names) != 1 || load[d.Names[0]] == nil) {
					for _, n := range d.Names {
						anew[n] = true
					}
				}
			}
			inits := false
			seed = func(d decl) bool {
				return isInit(d) && d.Cell != count && merged.refersTo(d, anew)
			}
			for _, d := range merged.Decls {
				if seed(d) {
					inits = true
					var vars []string
					for _, u := range used {
						if u.Kind == "var" && merged.refersTo(d, setOf(u.Names)) && slices.ContainsFunc(u.Names, func(n string) bool { return anew[n] }) {
							vars = append(vars, u.Names...)
						}
					}
					init := d
					vp.notes = append(vp.notes, valueNote{text: fmt.Sprintf("note: %s cannot carry over from cell to cell (it holds a func or a channel), "+
						"so it is made anew from its declaration, and the init func of cell [%d] that fills it runs again\n",
						strings.Join(vars, ", "), d.Cell), names: vars, init: &init})
				}
			}
			if inits {
				continue
			}
		}
		if !grew {
			// A top-level var whose value could not carry (left locked, say)
			// starts again from its declaration: say so where it is used.
			// A value lost before this declaration was made (an earlier
			// cell's a := 1, declared anew by var a sync.Mutex) belonged to
			// another variable, which the user replaced on purpose.
			for _, d := range used {
				if d.Kind != "var" {
					continue
				}
				for _, n := range d.Names {
					if l, lost := kept.LostValue(n); lost && load[n] == nil && !declared[n] && l.Reason != "" && l.Cell >= d.Cell {
						vp.notes = append(vp.notes, valueNote{text: fmt.Sprintf("note: %s of cell [%d] did not carry over (%s); it starts again from its declaration here\n", n, l.Cell, l.Reason), names: []string{n}})
					}
				}
			}
			vs := vp.section
			for _, n := range slices.Sorted(maps.Keys(load)) {
				k := load[n]
				vs.Load = append(vs.Load, n)
				if k.Decl != "" {
					vs.Replace[n] = k.Type
				} else {
					vs.Vars = append(vs.Vars, valueVar{Name: n, Type: k.Type})
				}
				maps.Copy(vs.Imports, k.Imports)
				vp.types[n] = *k
				if k.Plain != "" && (strings.HasPrefix(k.Plain, ".") || len(merged.lookup(plainUnder(k.Plain))) == 0) {
					vs.Plain[n] = k.Plain
				}
				for _, d := range k.Dyn {
					vs.registerDyn(d)
				}
			}
			vs.Save = slices.Clone(vs.Load) // planSaves adds this cell's variables
			return used, vp
		}
	}
}

// groupOf returns the kept variables that share memory with name (name's included).
func groupOf(kept keptView, name string) []string {
	if k, ok := kept.Lookup(name); ok {
		return k.Group()
	}
	return nil
}

// staleDeps says why k's value no longer fits: a type it is made of was
// redefined or forgotten since it was kept.
func staleDeps(k *keep.Kept, merged *declSet) string {
	ds := slices.DeleteFunc(merged.lookup(k.Name), func(d decl) bool { return d.Kind == "method" })
	switch {
	case k.Decl == "" && len(ds) > 0:
		return fmt.Sprintf("cell [%d] declares %s anew", ds[len(ds)-1].Cell, k.Name)
	case k.Decl != "" && (len(ds) == 0 || ds[len(ds)-1].Keyword+ds[len(ds)-1].Text.Text != k.Decl):
		return "its declaration changed"
	}
	for _, name := range slices.Sorted(maps.Keys(k.Deps)) {
		ds := merged.lookup(name)
		if len(ds) == 0 {
			return fmt.Sprintf("its type %s is no longer declared", name)
		}
		if d := ds[len(ds)-1]; d.Keyword+d.Text.Text != k.Deps[name] {
			return fmt.Sprintf("its type %s was redefined in cell [%d]", name, d.Cell)
		}
	}
	return ""
}

// planSaves type-checks the program (its kept values declared, this cell's
// := variables still local) to learn the types of the variables the cell
// defines and of the package vars the program has, and decides which are
// saved when the cell returns. src is that program; ok false means the type
// checker could not tell (the compiler will report why), and nothing new is
// saved.
func (e *Engine) planSaves(vp *valuePlan, pc *parsedCell, used []decl, src []byte, count int, merged *declSet) {
	vs := vp.section
	candidates := map[string]bool{}
	for _, n := range vs.Load {
		candidates[n] = true
	}
	vars := map[string]bool{} // the package vars of earlier cells: does the cell itself use them?
	for _, d := range used {
		if d.Kind == "var" && d.Cell != count {
			for _, n := range d.Names {
				vars[n] = true
			}
		}
	}
	defs, pkgVars, cellTypes, refs, ok := e.check.varTypes(src, keptRefsQuery{
		candidates: candidates, cellFunc: cellFuncName, cellFile: composition{Cell: pc, Count: count}.cellFile(), register: vs.Register, vars: vars})
	if !ok {
		return
	}
	defer vp.trimToRefs(pc, refs)
	vp.trimNotes(refs)
	q := &typeNamer{imports: vs.Imports, merged: merged}
	for _, t := range cellTypes {
		if !slices.Contains(vs.Register, t) {
			vs.Register = append(vs.Register, t)
		}
	}
	saved := map[string]bool{}
	for _, n := range vs.Save {
		saved[n] = true
	}
	// This cell's := statements.
	if len(defs) == len(pc.Defines) {
		vs.Convert = map[int]bool{}
		for i, d := range pc.Defines {
			typesOf := defs[i]
			if len(typesOf) != len(d.Names) {
				continue
			}
			exprs := make([]string, len(d.Names))
			convert := true
			why := ""
			var retype []string
			for j, name := range d.Names {
				if name == "_" {
					continue
				}
				expr, reason := q.expr(typesOf[j])
				if reason != "" {
					convert, why = false, reason
					break
				}
				exprs[j] = expr
				if slices.Contains(vs.Load, name) {
					switch {
					case vp.types[name].Type == expr:
						// x := x + 1: assigns the kept x.
					case vp.types[name].Decl != "":
						convert = false // a := of another type beside a var declaration: Go's shadowing
					case len(groupOf(vp.view, name)) > 1:
						convert = false // it shares memory with others, which load with it
					default:
						retype = append(retype, name) // declared anew with another type
					}
				} else if pkgVars[name] != nil {
					convert = false // a := beside a package declaration of the name: Go's shadowing
				}
				if !convert {
					break
				}
			}
			if !convert {
				if why != "" {
					for j, name := range d.Names {
						if name != "_" && j < len(typesOf) {
							vp.replaced[name] = keep.Lost{Type: types.TypeString(typesOf[j], nil), Reason: why}
						}
					}
				}
				continue
			}
			for _, name := range retype {
				vs.Load = slices.DeleteFunc(vs.Load, func(n string) bool { return n == name })
				vs.Save = slices.DeleteFunc(vs.Save, func(n string) bool { return n == name })
				vs.Vars = slices.DeleteFunc(vs.Vars, func(v valueVar) bool { return v.Name == name })
				delete(vp.types, name)
				delete(vs.Plain, name)
				delete(saved, name)
			}
			vs.Convert[d.Op] = true
			for _, name := range d.Names {
				if k, ok := vp.types[name]; ok && slices.Contains(vs.Load, name) {
					k.Made = count // x := x + 1 makes x again, from its kept value
					vp.types[name] = k
				}
			}
			for j, name := range d.Names {
				if name == "_" || saved[name] || slices.ContainsFunc(vs.Vars, func(v valueVar) bool { return v.Name == name }) {
					continue
				}
				vs.Vars = append(vs.Vars, valueVar{Name: name, Type: exprs[j]})
				if reason := cannotCarry(typesOf[j]); reason != "" {
					vp.replaced[name] = keep.Lost{Type: exprs[j], Reason: reason}
					continue
				}
				fp := plainFingerprint(typesOf[j], merged)
				vp.types[name] = keep.Kept{Name: name, Type: exprs[j], Imports: q.importsOf(exprs[j]), Deps: q.deps(typesOf[j]), Cell: count, Made: count, Plain: fp}
				vs.Plain[name] = fp
				saved[name] = true
				vs.Save = append(vs.Save, name)
			}
		}
	}
	// Package vars of the program that have no kept value yet.
	for _, d := range used {
		if d.Kind != "var" || len(d.Names) != 1 || d.Names[0] == "_" || saved[d.Names[0]] {
			continue
		}
		name := d.Names[0]
		t := pkgVars[name]
		if t == nil || cannotCarry(t) != "" {
			continue // a channel or func var: its declaration makes it anew in each cell
		}
		if refs.checked && d.Cell != count && !refs.used[name] {
			continue // in the program only because a name matched: made anew where it is used
		}
		expr, reason := q.expr(t)
		if reason != "" {
			continue
		}
		fp := plainFingerprint(t, merged)
		vp.types[name] = keep.Kept{Name: name, Type: expr, Imports: q.importsOf(expr), Deps: q.deps(t), Decl: d.Keyword + d.Text.Text, Cell: count, Made: d.Cell, Plain: fp}
		vs.Plain[name] = fp
		saved[name] = true
		vs.Save = append(vs.Save, name)
	}
}

// trimToRefs narrows the kept values the program loads and saves, chosen
// by name (planLoads), to what its code really does with them (refs): a
// value no code that may run refers to is neither loaded nor saved (its
// declaration stays, so what names it compiles), and a value the code only
// reads is loaded but not saved again, so it stays as the cell that last
// changed it left it. The variables the cell's := statements name are left
// to planSaves; values that share memory load and save together.
func (vp *valuePlan) trimToRefs(pc *parsedCell, refs keptRefs) {
	vs := vp.section
	defined := setOf(pc.Defined)
	load, save := map[string]bool{}, map[string]bool{}
	for _, n := range vs.Load {
		group := groupOf(vp.view, n)
		if len(group) == 0 {
			group = []string{n}
		}
		switch {
		case defined[n] || slices.ContainsFunc(group, func(m string) bool { return defined[m] }):
			load[n], save[n] = true, true
		case len(group) > 1:
			if slices.ContainsFunc(group, func(m string) bool { return refs.used[m] }) {
				load[n], save[n] = true, true
			}
		case refs.used[n]:
			load[n], save[n] = true, refs.written[n]
		}
	}
	planned := setOf(vs.Load)
	vs.Load = slices.DeleteFunc(vs.Load, func(n string) bool { return !load[n] })
	vs.Save = slices.DeleteFunc(vs.Save, func(n string) bool { return planned[n] && !save[n] })
}

// trimNotes keeps the notes about vars the cell's own code uses (refs):
// a note about a var that only a field, parameter or label is called like
// is not told, and the init func it would have run again is left out of
// the program (vp.unseeded).
func (vp *valuePlan) trimNotes(refs keptRefs) {
	if !refs.checked {
		return
	}
	vp.notes = slices.DeleteFunc(vp.notes, func(n valueNote) bool {
		if slices.ContainsFunc(n.names, func(v string) bool { return refs.byCell[v] }) {
			return false
		}
		if n.init != nil {
			if vp.unseeded == nil {
				vp.unseeded = map[[2]int]bool{}
			}
			vp.unseeded[initKey(*n.init)] = true
		}
		return true
	})
}

// cannotCarry says why values of t can never carry over: t holds a channel
// or a func outside any interface (checked by the codec at run time).
func cannotCarry(t types.Type) string {
	seen := map[types.Type]bool{}
	var walk func(types.Type) string
	walk = func(t types.Type) string {
		if seen[t] {
			return ""
		}
		seen[t] = true
		switch u := t.Underlying().(type) {
		case *types.Chan:
			return "a channel lives in one program; make it in the cell that uses it (or declare it at the top level with var, which each cell that uses it runs again)"
		case *types.Signature:
			return "a func value lives in one program; declare a func at the top level instead"
		case *types.Pointer:
			return walk(u.Elem())
		case *types.Slice:
			return walk(u.Elem())
		case *types.Array:
			return walk(u.Elem())
		case *types.Map:
			if r := walk(u.Key()); r != "" {
				return r
			}
			return walk(u.Elem())
		case *types.Struct:
			for i := range u.NumFields() {
				if r := walk(u.Field(i).Type()); r != "" {
					return r
				}
			}
		case *types.Basic:
			if u.Kind() == types.UnsafePointer {
				return "an unsafe.Pointer is an address in one program"
			}
		}
		return ""
	}
	return walk(t)
}

// typeNamer writes types as later programs declare them: the cell's types
// by name, other packages' through an alias import each.
type typeNamer struct {
	imports map[string]string // alias -> path (shared with the section)
	merged  *declSet
}

var aliasUnsafe = regexp.MustCompile(`[^A-Za-z0-9]`)

// typeAliasPattern matches the import alias of a package path in a type as
// written (typeAlias) up to the package's own name: "_gokernel_t_math_"
// in "_gokernel_t_math_big.Int", so that messages can say big.Int.
var typeAliasPattern = regexp.MustCompile(typeAliasPrefix + `(?:[A-Za-z0-9]+_)*`)

func typeAlias(path string) string { return typeAliasPrefix + aliasUnsafe.ReplaceAllString(path, "_") }

// expr returns the Go text of t, or why t cannot be written outside the
// cell (a type declared inside a function, another package's unexported
// type).
func (q *typeNamer) expr(t types.Type) (string, string) {
	reason := ""
	seen := map[types.Type]bool{}
	var check func(types.Type)
	check = func(t types.Type) {
		if reason != "" || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Named:
			obj := t.Obj()
			if obj.Pkg() == nil {
				return // error, comparable
			}
			if obj.Parent() != obj.Pkg().Scope() {
				reason = "its type " + obj.Name() + " is declared inside a function; declare the type at the top level of a cell"
				return
			}
			if obj.Pkg().Path() != "main" && !obj.Exported() {
				reason = "its type " + obj.Pkg().Name() + "." + obj.Name() + " is not exported by its package"
				return
			}
			if t.TypeArgs() != nil {
				for i := range t.TypeArgs().Len() {
					check(t.TypeArgs().At(i))
				}
			}
		case *types.Alias:
			check(types.Unalias(t))
		case *types.Pointer:
			check(t.Elem())
		case *types.Slice:
			check(t.Elem())
		case *types.Array:
			check(t.Elem())
		case *types.Map:
			check(t.Key())
			check(t.Elem())
		case *types.Chan:
			check(t.Elem())
		case *types.Struct:
			for i := range t.NumFields() {
				check(t.Field(i).Type())
			}
		case *types.Basic:
			if t.Info()&types.IsUntyped != 0 {
				reason = "it has no type (untyped nil)"
			}
		case *types.TypeParam:
			reason = "its type is a type parameter"
		}
		if t == types.Typ[types.Invalid] {
			reason = "its type is not known"
		}
	}
	check(t)
	if reason != "" {
		return "", reason
	}
	return types.TypeString(types.Unalias(t), func(p *types.Package) string {
		if p.Path() == "main" {
			return ""
		}
		alias := typeAlias(p.Path())
		q.imports[alias] = p.Path()
		return alias
	}), ""
}

// importsOf returns the alias imports expr uses.
func (q *typeNamer) importsOf(expr string) map[string]string {
	out := map[string]string{}
	for alias, path := range q.imports {
		if strings.Contains(expr, alias+".") {
			out[alias] = path
		}
	}
	return out
}

// deps returns the cell-declared types t is made of, with the text of their
// declarations now.
func (q *typeNamer) deps(t types.Type) map[string]string {
	out := map[string]string{}
	seen := map[types.Type]bool{}
	var walk func(types.Type)
	walk = func(t types.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Named:
			if obj := t.Obj(); obj.Pkg() != nil && obj.Pkg().Path() == "main" {
				if ds := q.merged.lookup(obj.Name()); len(ds) > 0 {
					d := ds[len(ds)-1]
					out[obj.Name()] = d.Keyword + d.Text.Text
				}
				walk(t.Underlying())
			}
			if t.TypeArgs() != nil {
				for i := range t.TypeArgs().Len() {
					walk(t.TypeArgs().At(i))
				}
			}
		case *types.Alias:
			walk(types.Unalias(t))
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Struct:
			for i := range t.NumFields() {
				walk(t.Field(i).Type())
			}
		}
	}
	walk(t)
	return out
}

// varTypes type-checks src and returns the types of the names each
// top-level := statement of q.cellFunc declares (in order), of the package
// vars, the names of the non-generic types the program declares, and what
// the program does with the kept variables in q.candidates.
func (vc *valueChecker) varTypes(src []byte, q keptRefsQuery) (defs [][]types.Type, pkgVars map[string]types.Type, typeNames []string, refs keptRefs, ok bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	cellFunc := q.cellFunc
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, nil, refs, false
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Types: map[ast.Expr]types.TypeAndValue{}}
	// Errors are expected: a func of the cell that uses one of its :=
	// variables does not compile until that variable is a package var.
	// A variable whose own type is broken comes out invalid and stays as
	// it is; the compiler reports what is really wrong.
	conf := types.Config{Importer: vc.imp, Error: func(error) {}, FakeImportC: true}
	pkg, _ := conf.Check("main", fset, []*ast.File{file}, info)
	refs = analyzeKeptRefs(fset, file, info, pkg, q)
	pkgVars = map[string]types.Type{}
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					if d.Tok != token.VAR {
						continue
					}
					for _, n := range s.Names {
						if obj := info.Defs[n]; obj != nil {
							pkgVars[n.Name] = obj.Type()
						}
					}
				case *ast.TypeSpec:
					if s.TypeParams == nil && s.Name.Name != "_" {
						typeNames = append(typeNames, s.Name.Name)
					}
				}
			}
		case *ast.FuncDecl:
			if d.Recv != nil || d.Name.Name != cellFunc || d.Body == nil {
				continue
			}
			for _, st := range d.Body.List {
				as, isAssign := st.(*ast.AssignStmt)
				if !isAssign || as.Tok != token.DEFINE {
					continue
				}
				var ts []types.Type
				for _, l := range as.Lhs {
					id, _ := l.(*ast.Ident)
					if id == nil {
						continue
					}
					obj := info.Defs[id]
					if obj == nil {
						obj = info.Uses[id]
					}
					if obj == nil {
						ts = append(ts, types.Typ[types.Invalid])
						continue
					}
					ts = append(ts, obj.Type())
				}
				defs = append(defs, ts)
			}
		}
	}
	return defs, pkgVars, typeNames, refs, true
}

// hasVars reports whether decls declare a package var.
func hasVars(decls *declSet) bool {
	return slices.ContainsFunc(decls.Decls, func(d decl) bool { return d.Kind == "var" })
}

// withValueImports adds to paths the packages the program's kept values
// need: package keep and the packages of their types.
func withValueImports(paths []string, vs *valueSection) []string {
	out := slices.Clone(paths)
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if vs.keeps() {
		add(vs.keepPath())
	}
	for _, p := range vs.usedImports() {
		add(p)
	}
	return out
}

// commitValues ends a program's use of the kept values: a cell that
// succeeded commits what its program saved; one that failed changes
// nothing, except that a value its program could not load is forgotten
// (with a note), or it would fail every time.
func (e *Engine) commitValues(vp *valuePlan, count int, ok bool, out interp.Output) {
	if !ok {
		if vp.session == nil {
			return
		}
		for name, why := range e.kept.Abort(vp.session) {
			out.Stream("stderr", fmt.Sprintf("note: the kept value of %s could not be loaded (%s); it is forgotten\n", name, why))
		}
		return
	}
	if vp.session == nil && len(vp.replaced) == 0 {
		return
	}
	// A value kept before this cell that it could not save (it left a
	// mutex locked, say) is forgotten: say so now, not only where a later
	// cell misses it.
	was := map[string]int{}
	for _, n := range vp.section.Save {
		if k, ok := e.kept.Lookup(n); ok {
			was[n] = madeIn(k)
		}
	}
	if err := e.kept.Commit(vp.session, vp.types, vp.replaced, count); err != nil {
		out.Stream("stderr", fmt.Sprintf("note: this cell's values could not be kept: %v\n", err))
	}
	// A value the limits left out (too big, a full disk) is named in the
	// cell that made it, where the student can still change it.
	for _, n := range vp.section.Save {
		if _, had := was[n]; had {
			continue // noted below, with the cell that made it
		}
		if l, lost := e.kept.LostValue(n); lost && l.Limited && l.Cell == count {
			out.Stream("stderr", fmt.Sprintf("note: %s (%s) will not carry over to later cells: %s\n",
				n, cleanGenerated(typeAliasPattern.ReplaceAllString(l.Type, "")), l.Reason))
		}
	}
	for _, n := range slices.Sorted(maps.Keys(was)) {
		if _, kept := e.kept.Lookup(n); kept {
			continue
		}
		if l, lost := e.kept.LostValue(n); lost && l.Reason != "" {
			out.Stream("stderr", fmt.Sprintf("note: %s (%s) of cell [%d] no longer carries over: %s\n",
				n, cleanGenerated(typeAliasPattern.ReplaceAllString(l.Type, "")), was[n], l.Reason))
		}
	}
	e.publishKept()
}

// madeIn is the cell whose := or var made k.
func madeIn(k *keep.Kept) int {
	if k.Made == 0 {
		return k.Cell
	}
	return k.Made
}

// publishKept updates the snapshots of the kept values that completion and
// builds ahead read while a cell runs.
func (e *Engine) publishKept() {
	vars, snap := e.keptViews()
	e.mu.Lock()
	e.keptVars, e.keptSnap = vars, snap
	e.mu.Unlock()
}

// keptViews makes those snapshots: the kept := variables as declarations,
// and a copy of the store.
func (e *Engine) keptViews() (*valueSection, keptView) {
	vs := &valueSection{Imports: map[string]string{}}
	for _, name := range e.kept.Names() {
		k, _ := e.kept.Lookup(name)
		if k.Decl == "" {
			vs.Vars = append(vs.Vars, valueVar{Name: name, Type: k.Type})
			maps.Copy(vs.Imports, k.Imports)
		}
	}
	return vs, e.kept.Snapshot(nil, nil)
}

// dropStaleValues forgets, with a note, the kept values whose types the
// declarations in merged (this cell's, now committed) redefined or removed.
func (e *Engine) dropStaleValues(merged *declSet, vp *valuePlan, count int, out interp.Output) {
	why := maps.Clone(vp.drops)
	for _, name := range e.kept.Names() {
		k, _ := e.kept.Lookup(name)
		if r := staleDeps(k, merged); r != "" && why[name] == "" {
			why[name] = r
		}
	}
	for _, name := range slices.Sorted(maps.Keys(why)) {
		if e.kept.Drop(name, why[name]) && why[name] != fmt.Sprintf("cell [%d] declares %s anew", count, name) {
			out.Stream("stderr", fmt.Sprintf("note: the kept value of %s is dropped: %s\n", name, why[name]))
		}
	}
	if len(why) > 0 {
		e.publishKept()
	}
}

// lostHere says why name's value did not carry over into this cell (for
// the hints of a compile error): a kept value this cell's own change drops
// (it redefines the value's type, say) is still kept, as the cell failed,
// yet it is why the cell cannot use it.
func (vp *valuePlan) lostHere(e *Engine) lostValues {
	return func(name string) (string, int, string, bool) {
		if why := vp.drops[name]; why != "" {
			if k, ok := e.kept.Lookup(name); ok {
				return k.Type, madeIn(k), why, true
			}
		}
		return e.lostValue(name)
	}
}

// lostValue says why name's value did not carry over (for hints).
func (e *Engine) lostValue(name string) (string, int, string, bool) {
	l, ok := e.kept.LostValue(name)
	return l.Type, l.Cell, l.Reason, ok
}

// refersTo reports whether d names one of names, itself or through the
// declarations it uses (an init that calls register, which fills registry).
func (s *declSet) refersTo(d decl, names map[string]bool) bool {
	seen := map[string]bool{}
	var walk func(d *decl) bool
	walk = func(d *decl) bool {
		for id := range d.refs() {
			if names[id] {
				return true
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			for i := range s.Decls {
				if o := &s.Decls[i]; o.Kind != "method" && slices.Contains(o.Names, id) && walk(o) {
					return true
				}
			}
		}
		return false
	}
	return walk(&d)
}

func setOf(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}
