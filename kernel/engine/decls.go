package engine

import (
	"go/scanner"
	"go/token"
	"path"
	"slices"
	"strings"
)

// decl is one remembered top-level declaration: a func, a method, a type, or
// one var/const spec (a const group stays whole).
type decl struct {
	Kind     string   // "func", "method", "type", "var", "const"
	Names    []string // names it declares; for a method, the method name
	Receiver string   // method: receiver type name ("T" for *T[K])
	Generic  bool     // func with type parameters (cannot be put in a map)
	// BodyStart is the offset in Text of a func's body "{" (0 without body).
	BodyStart int
	// Keyword is put before Text when the spec came from a group
	// ("var " for `x = 1` out of `var ( x = 1 )`).
	Keyword string
	Text    span            // source, at its place in the cell it came from
	Doc     string          // doc comment
	Cell    int             // execution count of the cell it came from
	File    string          // its cell's codeFile, "" for cellFile(Cell)
	ids     map[string]bool // identifiers of Text, see refs
}

// file is the file name of d's code in programs (see codeFile).
func (d decl) file() string {
	if d.File != "" {
		return d.File
	}
	return cellFile(d.Cell)
}

// key identifies what a later declaration replaces: methods by receiver
// type and name, everything else by its first name (see conflicts).
func (d decl) key() string {
	if d.Kind == "method" {
		return d.Receiver + "." + d.Names[0]
	}
	return d.Names[0]
}

// importSpec is one import line.
type importSpec struct {
	Name string // "" for the package's own name, "_", "." or an alias
	Path string
}

// localName is the name the import binds in the file, as the remembered
// imports are keyed: a later import of the same name replaces an earlier one
// ("crypto/rand" after "math/rand").
func (s importSpec) localName() string {
	if s.Name != "" && s.Name != "_" && s.Name != "." {
		return s.Name
	}
	if s.Name != "" {
		return s.Name + s.Path
	}
	base := path.Base(s.Path)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(s.Path)) // math/rand/v2 -> rand
	}
	return strings.TrimPrefix(strings.TrimPrefix(base, "go-"), "go.")
}

// declSet is what the notebook remembers: imports and declarations, in the
// order they were (last) defined. The engine works on a clone and commits it
// only when the cell compiles.
type declSet struct {
	Imports []importSpec
	Decls   []decl
}

// clone returns a copy that can be changed without touching s.
func (s *declSet) clone() *declSet {
	return &declSet{Imports: slices.Clone(s.Imports), Decls: slices.Clone(s.Decls)}
}

// merge adds a cell's imports and declarations. A declaration replaces every
// earlier one that declares one of its names (a func F replaces a var F), a
// method replaces the same method of the same type; an import replaces an
// earlier import bound to the same name.
func (s *declSet) merge(pc *parsedCell, cell int) {
	for _, imp := range pc.Imports {
		s.Imports = slices.DeleteFunc(s.Imports, func(old importSpec) bool {
			return old.localName() == imp.localName() || old == imp
		})
		s.Imports = append(s.Imports, imp)
	}
	for _, d := range pc.Decls {
		d.Cell, d.File = cell, pc.File
		d.ids = identifiers(d.Text.Text) // shared, read-only, by the clones
		s.Decls = slices.DeleteFunc(s.Decls, func(old decl) bool { return conflicts(old, d) })
		s.Decls = append(s.Decls, d)
	}
}

// conflicts reports whether the later declaration b replaces a. An
// identical declaration replaces its earlier copy even when it declares
// only "_" (a cell run twice must not make `var _ = f()` run twice).
func conflicts(a, b decl) bool {
	if a.Kind == b.Kind && a.Keyword+a.Text.Text == b.Keyword+b.Text.Text {
		return true
	}
	if isInit(a) && isInit(b) {
		// A program may have many init funcs; those of one cell all run in
		// it. An earlier cell's inits have run and are never compiled again.
		return a.Cell != b.Cell
	}
	if a.Kind == "method" || b.Kind == "method" {
		return a.Kind == b.Kind && a.key() == b.key()
	}
	for _, n := range a.Names {
		if n != "_" && slices.Contains(b.Names, n) {
			return true
		}
	}
	return false
}

// forget removes the declaration of name (and, for a type, its methods).
// It reports whether anything was removed.
func (s *declSet) forget(name string) bool {
	before := len(s.Decls)
	s.Decls = slices.DeleteFunc(s.Decls, func(d decl) bool {
		if d.Kind == "method" {
			return d.key() == name || d.Receiver == name
		}
		return slices.Contains(d.Names, name)
	})
	return len(s.Decls) != before
}

// lookup returns the declarations of name ("T.M" for a method).
func (s *declSet) lookup(name string) []decl {
	var out []decl
	for _, d := range s.Decls {
		if d.key() == name || (d.Kind != "method" && slices.Contains(d.Names, name)) {
			out = append(out, d)
		}
	}
	return out
}

// names lists every remembered top-level name (methods excluded).
func (s *declSet) names() []string {
	var out []string
	for _, d := range s.Decls {
		if d.Kind != "method" {
			out = append(out, d.Names...)
		}
	}
	return out
}

// identifiers returns the set of identifiers in text (by token; text need
// not parse).
func identifiers(text string) map[string]bool {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(text)), []byte(text), nil, 0)
	ids := map[string]bool{}
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return ids
		}
		if tok == token.IDENT {
			ids[lit] = true
		}
	}
}

// reachable returns the remembered declarations a cell's program needs, in
// order: everything its statements and its own declarations refer to,
// transitively, and the methods of every type kept.
//
// A package var is kept only when reached, whatever its initializer: `var
// data = loadData()` runs (and prints, if loadData prints) in the cell that
// declares it and in the cells that use data, not in every later cell. A
// var declared only for its initializer's effect (var _ = register()) runs
// in its own cell. An init func runs once, in the cell that declares it (as a
// program's init runs once); its effects on package vars are kept as values.
// A remembered func main is compiled under another name (see renameMain)
// when a cell calls it.
//
// A notebook with 200 remembered declarations thus compiles and links only
// the few a cell uses (measured: a hello cell after 200 declarations builds
// as fast as without them). Declarations left out are not compiled, so one
// that a later cell broke (by redefining a type it uses) is reported when it
// is used again, not before.
func (s *declSet) reachable(pc *parsedCell, cell int) []decl {
	return s.reachableWith(pc, cell, nil, nil)
}

// reachableWith is reachable with more names to start from: the types of
// the kept values a cell loads (values.go).
// seed, when not nil, picks more declarations to start from (the init funcs
// of earlier cells that set vars made anew in every cell).
func (s *declSet) reachableWith(pc *parsedCell, cell int, names []string, seed func(decl) bool) []decl {
	byName := map[string][]int{}
	methods := map[string][]int{}
	for i, d := range s.Decls {
		if d.Kind == "method" {
			methods[d.Receiver] = append(methods[d.Receiver], i)
		} else {
			for _, n := range d.Names {
				if n != "_" { // `_ = x` refers to no var _
					byName[n] = append(byName[n], i)
				}
			}
		}
	}
	keep := make([]bool, len(s.Decls))
	var visit func(i int)
	visitName := func(name string) {
		for _, i := range byName[name] {
			visit(i)
		}
	}
	visit = func(i int) {
		if keep[i] {
			return
		}
		keep[i] = true
		d := &s.Decls[i]
		for id := range d.refs() {
			visitName(id)
		}
		if d.Kind == "type" {
			for _, m := range methods[d.Names[0]] {
				visit(m)
			}
		}
	}
	for i, d := range s.Decls {
		if d.Cell == cell || (seed != nil && seed(d)) {
			visit(i)
		}
	}
	for _, st := range pc.Stmts {
		for id := range identifiers(st.Text) {
			visitName(id)
		}
	}
	if pc.Trailing != nil {
		for id := range identifiers(pc.Trailing.Text) {
			visitName(id)
		}
	}
	for _, n := range names {
		visitName(n)
	}
	var out []decl
	for i, d := range s.Decls {
		if keep[i] {
			out = append(out, d)
		}
	}
	return out
}

// refs returns the identifiers of the declaration's text (computed by merge).
func (d *decl) refs() map[string]bool {
	if d.ids == nil {
		d.ids = identifiers(d.Text.Text)
	}
	return d.ids
}

// isMain reports whether d is a cell's own func main (a pasted program).
func isMain(d decl) bool { return d.Kind == "func" && d.Names[0] == "main" }

// isInit reports whether d is a func init.
func isInit(d decl) bool { return d.Kind == "func" && d.Names[0] == "init" }

// declaresMain reports whether the cell declares func main: a pasted
// program, whose main runs as the cell's statements.
func (pc *parsedCell) declaresMain() bool { return slices.ContainsFunc(pc.Decls, isMain) }
