package engine

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/keep"
)

// This file answers the language questions of a notebook: is_complete,
// complete and inspect. They read the notebook's remembered declarations
// under a read lock and the standard library's documentation from
// $GOROOT/src, so they answer while a cell runs.

var goKeywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
}

var goBuiltins = []string{
	"any", "append", "bool", "byte", "cap", "clear", "close", "comparable", "complex",
	"complex128", "complex64", "copy", "delete", "error", "false", "float32", "float64",
	"imag", "int", "int16", "int32", "int64", "int8", "iota", "len", "make", "max", "min",
	"new", "nil", "panic", "print", "println", "real", "recover", "rune", "string", "true",
	"uint", "uint16", "uint32", "uint64", "uint8", "uintptr",
}

// IsComplete tells a console whether code is ready to run: unbalanced
// brackets, an unterminated raw string or comment, or a line ending in an
// operator ask for more ("incomplete", with an indent); a syntax error more
// input cannot fix is "invalid".
func (e *Engine) IsComplete(code string) interp.IsCompleteResult {
	sc, err := split(code, settings{})
	if err != nil {
		return interp.IsCompleteResult{Status: "invalid"}
	}
	if cellMagicPending(code) { // complete_magics.go
		return interp.IsCompleteResult{Status: "incomplete", Indent: ""}
	}
	code = sc.Code
	if strings.TrimSpace(code) == "" {
		return interp.IsCompleteResult{Status: "complete"}
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("cell.go", -1, len(code))
	unterminated := false
	s.Init(f, []byte(code), func(pos token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unterminated = true
		}
	}, 0)
	var stack []token.Token
	var last token.Token
	mismatched := false
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			stack = append(stack, tok)
		case token.RPAREN, token.RBRACE, token.RBRACK:
			open := map[token.Token]token.Token{token.RPAREN: token.LPAREN, token.RBRACE: token.LBRACE, token.RBRACK: token.LBRACK}[tok]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				mismatched = true
			} else {
				stack = stack[:len(stack)-1]
			}
		}
		if !(tok == token.SEMICOLON && lit == "\n") {
			last = tok
		}
	}
	switch {
	case mismatched:
		return interp.IsCompleteResult{Status: "invalid"}
	case unterminated:
		return interp.IsCompleteResult{Status: "incomplete", Indent: ""}
	case len(stack) > 0:
		return interp.IsCompleteResult{Status: "incomplete", Indent: strings.Repeat("    ", len(stack))}
	case continuesLine(last):
		return interp.IsCompleteResult{Status: "incomplete", Indent: "    "}
	}
	if _, err := parse(code); err != nil {
		return interp.IsCompleteResult{Status: "invalid"}
	}
	return interp.IsCompleteResult{Status: "complete"}
}

// continuesLine reports whether a line ending in tok cannot end a statement.
func continuesLine(tok token.Token) bool {
	switch tok {
	case token.INC, token.DEC, token.RPAREN, token.RBRACE, token.RBRACK:
		return false
	}
	return tok.IsOperator() && tok != token.SEMICOLON && tok != token.COLON
}

// maxDocPackages bounds how many packages docCache keeps parsed.
const maxDocPackages = 24

// docCache holds the go/doc view of standard packages, read from
// $GOROOT/src once per package (while at most maxDocPackages are kept).
type docCache struct {
	goroot string
	mu     sync.Mutex
	pkgs   map[string]*docPackage // by directory
}

type docPackage struct {
	fset *token.FileSet
	doc  *doc.Package
}

func newDocCache(goroot string) *docCache {
	return &docCache{goroot: goroot, pkgs: map[string]*docPackage{}}
}

// load returns the documentation of the standard package path, or nil.
func (c *docCache) load(path string) *docPackage {
	return c.loadDir(path, filepath.Join(c.goroot, "src", filepath.FromSlash(path)))
}

// loadDir returns the documentation of package path in dir (a module's
// package in the module cache, see modules.go), or nil.
func (c *docCache) loadDir(path, dir string) *docPackage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pkgs[dir]; ok {
		return p
	}
	if len(c.pkgs) >= maxDocPackages {
		clear(c.pkgs) // bound the kernel's memory: parsed packages are large
	}
	c.pkgs[dir] = nil
	ctxt := build.Default
	ctxt.GOROOT = c.goroot
	bp, err := ctxt.ImportDir(dir, 0)
	if err != nil && path != "builtin" {
		return nil
	}
	names := bp.GoFiles
	if path == "builtin" {
		names = []string{"builtin.go"}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err == nil {
			files = append(files, f)
		}
	}
	mode := doc.Mode(0)
	if path == "builtin" {
		mode = doc.AllDecls
	}
	d, err := doc.NewFromFiles(fset, files, path, mode)
	if err != nil {
		return nil
	}
	c.pkgs[dir] = &docPackage{fset: fset, doc: d}
	return c.pkgs[dir]
}

// member is one documented name of a package.
type member struct {
	Name   string
	Method bool     // a method of a type (typeMembers, userTypeMembers), not a field
	Decl   ast.Node // *ast.FuncDecl or *ast.GenDecl
	Doc    string
	Type   *doc.Type   // for types: methods and fields
	pkg    *docPackage // where Decl's positions are, for printing it
}

// members lists the exported names of p.
func (p *docPackage) members() []member {
	var out []member
	addValues := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				out = append(out, member{Name: n, Decl: v.Decl, Doc: v.Doc})
			}
		}
	}
	for _, f := range p.doc.Funcs {
		out = append(out, member{Name: f.Name, Decl: f.Decl, Doc: f.Doc})
	}
	addValues(p.doc.Consts)
	addValues(p.doc.Vars)
	for _, t := range p.doc.Types {
		out = append(out, member{Name: t.Name, Decl: t.Decl, Doc: t.Doc, Type: t})
		for _, f := range t.Funcs {
			out = append(out, member{Name: f.Name, Decl: f.Decl, Doc: f.Doc})
		}
		addValues(t.Consts)
		addValues(t.Vars)
	}
	return out
}

// typeMembers lists the methods and exported fields of type name in p.
func (p *docPackage) typeMembers(name string) []member {
	for _, t := range p.doc.Types {
		if t.Name != name {
			continue
		}
		var out []member
		for _, m := range t.Methods {
			out = append(out, member{Name: m.Name, Method: true, Decl: m.Decl, Doc: m.Doc, pkg: p})
		}
		for _, spec := range t.Decl.Specs {
			if ts, ok := spec.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, f := range st.Fields.List {
						for _, n := range f.Names {
							if n.IsExported() {
								out = append(out, member{Name: n.Name, Doc: f.Doc.Text()})
							}
						}
					}
				}
			}
		}
		return out
	}
	return nil
}

// signature prints a declaration without its body.
func (p *docPackage) signature(n ast.Node) string {
	if fd, ok := n.(*ast.FuncDecl); ok {
		cp := *fd
		cp.Body, cp.Doc = nil, nil
		n = &cp
	}
	var b bytes.Buffer
	printer.Fprint(&b, p.fset, n)
	return b.String()
}

// wordAt finds the identifier around byte offset off in code and the
// qualifier before it ("fmt" in fmt.Pri). start and end are byte offsets of
// the identifier.
func wordAt(code string, off int, extendRight bool) (qual, word string, start, end int) {
	isIdent := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	start = off
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(code[:start])
		if !isIdent(r) {
			break
		}
		start -= size
	}
	end = off
	for extendRight && end < len(code) {
		r, size := utf8.DecodeRuneInString(code[end:])
		if !isIdent(r) {
			break
		}
		end += size
	}
	word = code[start:end]
	if start > 0 && code[start-1] == '.' {
		q := start - 1
		for q > 0 {
			r, size := utf8.DecodeLastRuneInString(code[:q])
			if !isIdent(r) {
				break
			}
			q -= size
		}
		qual = code[q : start-1]
	}
	return qual, word, start, end
}

// runeToByte converts a rune offset in s to a byte offset (clamped).
func runeToByte(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	i := 0
	for off := range s {
		if i == runes {
			return off
		}
		i++
	}
	return len(s)
}

// Complete returns completions at cursor (a rune offset): after "pkg." the
// exported names of a standard package, after "v." the methods and fields of
// v's type when its declaration says it plainly, else keywords, builtins,
// package names and the notebook's own names.
func (e *Engine) Complete(ctx context.Context, code string, cursor int) interp.Completion {
	off := runeToByte(code, cursor)
	if matches, start, ok := completeMagic(code, off); ok { // %wh -> %who (complete_magics.go)
		return interp.Completion{Matches: matches, CursorStart: utf8.RuneCountInString(code[:start]), CursorEnd: cursor, Metadata: map[string]any{}}
	}
	qual, word, start, _ := wordAt(code, off, false)
	decls := e.snapshot(code)
	var cands []string
	if qual != "" {
		cands = e.memberNames(ctx, qual, code[:start-1], decls)
	} else {
		cands = append(cands, goKeywords...)
		cands = append(cands, goBuiltins...)
		e.std.load()
		for name := range e.std.byName {
			cands = append(cands, name)
		}
		cands = append(cands, decls.names()...)
		for _, k := range e.keptForLanguage(decls) {
			cands = append(cands, k.Name)
		}
		for _, imp := range decls.Imports {
			if imp.Name != "_" && imp.Name != "." {
				cands = append(cands, imp.localName()) // third-party packages too
			}
		}
		cands = append(cands, identifiersIn(code)...)
	}
	var matches []string
	for _, c := range cands {
		if strings.HasPrefix(c, word) && c != word {
			matches = append(matches, c)
		}
	}
	slices.Sort(matches)
	matches = slices.Compact(matches)
	startRunes := utf8.RuneCountInString(code[:start])
	return interp.Completion{Matches: matches, CursorStart: startRunes, CursorEnd: cursor,
		Metadata: e.completionMetadata(ctx, qual, code[:max(start-1, 0)], decls, matches, startRunes, cursor)} // complete_types.go
}

// memberNames lists what can follow "qual.".
func (e *Engine) memberNames(ctx context.Context, qual, code string, decls *declSet) []string {
	var names []string
	if pkg := e.packageFor(ctx, qual, decls); pkg != nil {
		for _, m := range pkg.members() {
			names = append(names, m.Name)
		}
		return names
	}
	for _, m := range e.valueMembers(ctx, qual, code, decls) {
		names = append(names, m.Name)
	}
	if len(names) == 0 {
		names, _ = e.typedMembers(qual, code, decls)
	}
	return names
}

// completionCell is the execution count the code being completed is given
// in the program typedMembers checks.
const completionCell = 0

// typedMembers asks go/types for the fields and methods of qual, the last
// identifier of code (the text before the cursor's "."): the notebook's
// declarations and code are composed into a program (brackets left open
// are closed) and type-checked. It is used only when cheap: every package
// the program imports must already have export data.
func (e *Engine) typedMembers(qual, code string, decls *declSet) ([]string, namedType) {
	closed := code + closers(code)
	sc, err := split(closed, settings{})
	if err != nil {
		return nil, namedType{}
	}
	pc, err := parseCode(sc.Code)
	if err != nil {
		return nil, namedType{}
	}
	line := 1 + strings.Count(code, "\n")
	col := len(code) - strings.LastIndexByte(code, '\n') - len(qual)
	merged := decls.clone()
	merged.merge(pc, completionCell)
	// The program declares every kept := variable, so it needs the types
	// they are made of, as a cell that loads them does.
	var typeNames []string
	for _, k := range e.keptForLanguage(decls) {
		typeNames = append(typeNames, slices.Collect(maps.Keys(k.Deps))...)
	}
	used := &declSet{Imports: merged.Imports, Decls: merged.reachableWith(pc, completionCell, typeNames, nil)}
	e.mu.RLock()
	kept := e.keptVars // the kept := variables, declared as later cells declare them
	e.mu.RUnlock()
	plain := compose(composition{Decls: used, Cell: pc, Count: completionCell, Values: kept})
	imports, err := e.fixer.fix(plain.Source[plain.BodyOffset:], e.candidateImports(merged))
	if err != nil {
		return nil, namedType{}
	}
	for _, p := range withValueImports(importPaths(imports), kept) {
		if _, ok := e.build.exportFile(p); !ok {
			return nil, namedType{}
		}
	}
	prog := compose(composition{Decls: used, Cell: pc, Count: completionCell, Imports: imports, Values: kept})
	return e.check.members(prog.Source, qual, composition{Cell: pc, Count: completionCell}.cellFile(), line, col)
}

// keptForLanguage lists the kept := variables that completion and
// inspection see as variables of the code being edited: those the
// notebook's declarations (and that code's) do not declare anew.
func (e *Engine) keptForLanguage(decls *declSet) []*keep.Kept {
	e.mu.RLock()
	snap := e.keptSnap
	e.mu.RUnlock()
	if snap == nil {
		return nil
	}
	var out []*keep.Kept
	for _, name := range snap.Names() {
		k, ok := snap.Lookup(name)
		if !ok || k.Decl != "" || len(decls.lookup(name)) > 0 {
			continue
		}
		out = append(out, k)
	}
	return out
}

// closers returns the brackets that close those code leaves open.
func closers(code string) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(code)), []byte(code), nil, 0)
	var stack []byte
	for {
		_, tok, _ := s.Scan()
		switch tok {
		case token.EOF:
			var b strings.Builder
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == '}' {
					b.WriteByte('\n') // a newline before ) would end the statement early
				}
				b.WriteByte(stack[i])
			}
			return b.String()
		case token.LPAREN:
			stack = append(stack, ')')
		case token.LBRACK:
			stack = append(stack, ']')
		case token.LBRACE:
			stack = append(stack, '}')
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// packageFor returns the documentation of the standard package qual names,
// through a remembered import or the standard package of that name.
func (e *Engine) packageFor(ctx context.Context, qual string, decls *declSet) *docPackage {
	if len(decls.lookup(qual)) > 0 {
		return nil // a notebook name shadows the package
	}
	for _, imp := range decls.Imports {
		if imp.localName() == qual {
			if dir := e.moduleDir(ctx, imp.Path); dir != "" {
				return e.docs.loadDir(imp.Path, dir) // a fetched module's package
			}
			return e.docs.load(imp.Path)
		}
	}
	e.std.load()
	paths := e.std.byName[qual]
	if len(paths) == 0 {
		return nil
	}
	// Several packages share a name (rand: math/rand, crypto/rand,
	// math/rand/v2): without an import saying which, guess the one a
	// lesson most likely means: the shortest path, crypto/ last.
	best := slices.MinFunc(paths, func(a, b string) int {
		rank := func(p string) int {
			r := strings.Count(p, "/") * 2
			if strings.HasPrefix(p, "crypto/") {
				r++
			}
			return r
		}
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return e.docs.load(best)
}

// varTypePattern finds "var v T", "var v *T", "v := T{", "v := &T{", "v = new(T)".
var varTypePatterns = []string{
	`\bvar\s+%s\s+\*?([\w.]+)`,
	`\b%s\s*:?=\s*&?([\w.]+)\s*\{`,
	`\b%s\s*:?=\s*new\(\s*([\w.]+)\s*\)`,
}

// valueMembers finds the methods and fields of the type a value qual was
// declared with, when the declaration says it plainly.
func (e *Engine) valueMembers(ctx context.Context, qual, code string, decls *declSet) []member {
	texts := []string{code}
	for _, d := range decls.lookup(qual) {
		texts = append(texts, d.Keyword+d.Text.Text)
	}
	for _, text := range texts {
		for _, pat := range varTypePatterns {
			m := regexp.MustCompile(strings.Replace(pat, "%s", regexp.QuoteMeta(qual), 1)).FindStringSubmatch(text)
			if m == nil {
				continue
			}
			typ := m[1]
			if pkgName, typeName, ok := strings.Cut(typ, "."); ok {
				if pkg := e.packageFor(ctx, pkgName, decls); pkg != nil {
					return pkg.typeMembers(typeName)
				}
				continue
			}
			return userTypeMembers(typ, decls)
		}
	}
	return nil
}

// userTypeMembers lists the methods and fields of a type the notebook declared.
func userTypeMembers(typ string, decls *declSet) []member {
	var out []member
	for _, d := range decls.Decls {
		switch {
		case d.Kind == "method" && d.Receiver == typ:
			out = append(out, member{Name: d.Names[0], Method: true, Doc: d.Doc})
		case d.Kind == "type" && slices.Contains(d.Names, typ):
			f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+d.Keyword+d.Text.Text, parser.SkipObjectResolution)
			if err != nil {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if st, ok := n.(*ast.StructType); ok {
					for _, fl := range st.Fields.List {
						for _, n := range fl.Names {
							out = append(out, member{Name: n.Name})
						}
					}
					return false
				}
				return true
			})
		}
	}
	return out
}

// identifiersIn lists the identifiers of code (it may not parse).
func identifiersIn(code string) []string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(code)), []byte(code), nil, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok == token.IDENT {
			out = append(out, lit)
		}
	}
}

// Inspect returns the signature and doc comment of the name at cursor: a
// standard package member (fmt.Println), a package, a builtin, or a
// declaration of the notebook with its comment.
func (e *Engine) Inspect(ctx context.Context, code string, cursor, detail int) interp.Inspection {
	off := runeToByte(code, cursor)
	if inCellMagicBody(code, off) { // %%bash, %%python3 ...: not Go (complete_magics.go)
		return interp.Inspection{}
	}
	qual, word, start, _ := wordAt(code, off, true)
	if word == "" {
		// Between a call's parentheses ("fmt.Println(|", Shift+Tab in
		// JupyterLab) the call is what the user asks about.
		open := callOpenParen(code, off)
		if open < 0 {
			return interp.Inspection{}
		}
		qual, word, start, _ = wordAt(code, open, false)
		if word == "" {
			return interp.Inspection{}
		}
	}
	decls := e.snapshot(code)
	found := func(text string) interp.Inspection {
		return interp.Inspection{Found: true, Data: map[string]any{"text/plain": strings.TrimRight(text, "\n") + "\n"}}
	}
	if qual != "" {
		if pkg := e.packageFor(ctx, qual, decls); pkg != nil {
			for _, m := range pkg.members() {
				if m.Name == word {
					return found(pkg.signature(m.Decl) + "\n\n" + m.Doc)
				}
			}
			return interp.Inspection{}
		}
		for _, m := range e.valueMembers(ctx, qual, code, decls) {
			if m.Name == word {
				text := m.Name
				if m.Decl != nil && m.pkg != nil {
					text = m.pkg.signature(m.Decl)
				}
				return found(text + "\n\n" + m.Doc)
			}
		}
		// The value's type from go/types (r := bufio.NewReader(...); r.ReadString).
		if _, t := e.typedMembers(qual, code[:start-1], decls); t.Path == "main" {
			// A type of the notebook (acct.Deposit of a kept acct).
			for _, d := range decls.Decls {
				if d.Kind == "method" && d.Receiver == t.Name && d.Names[0] == word {
					return found(d.Doc + funcHeader(d.Keyword+d.Text.Text, detail))
				}
			}
			// A field: the declaration of the type that has it.
			if slices.ContainsFunc(userTypeMembers(t.Name, decls), func(m member) bool { return !m.Method && m.Name == word }) {
				for _, d := range decls.lookup(t.Name) {
					if d.Kind == "type" {
						return found(fmt.Sprintf("field %s of %s\n\n%s%s", word, t.Name, d.Doc, d.Keyword+d.Text.Text))
					}
				}
			}
		} else if t.Path != "" {
			if pkg := e.docs.load(t.Path); pkg != nil {
				for _, m := range pkg.typeMembers(t.Name) {
					if m.Name == word && m.Decl != nil {
						return found(pkg.signature(m.Decl) + "\n\n" + m.Doc)
					}
				}
			}
		}
		return interp.Inspection{}
	}
	if ds := decls.lookup(word); len(ds) > 0 {
		var b strings.Builder
		for _, d := range ds {
			text := d.Keyword + d.Text.Text
			if d.Kind == "func" {
				text = funcHeader(text, detail)
			}
			if d.Doc != "" {
				b.WriteString(d.Doc)
			}
			b.WriteString(text)
			b.WriteString("\n")
		}
		return found(b.String())
	}
	for _, k := range e.keptForLanguage(decls) {
		if k.Name == word {
			return found(fmt.Sprintf("%s %s\n\nkept from cell [%d]: a variable of every later cell (%%who lists them)",
				word, cleanGenerated(typeAliasPattern.ReplaceAllString(k.Type, "")), madeIn(k)))
		}
	}
	if pkg := e.packageFor(ctx, word, decls); pkg != nil {
		return found("package " + pkg.doc.Name + " // import \"" + pkg.doc.ImportPath + "\"\n\n" + pkg.doc.Doc)
	}
	if slices.Contains(goBuiltins, word) {
		if pkg := e.docs.load("builtin"); pkg != nil {
			for _, m := range pkg.members() {
				if m.Name == word {
					return found(pkg.signature(m.Decl) + "\n\n" + m.Doc)
				}
			}
		}
	}
	return interp.Inspection{}
}

// funcHeader is a func declaration without its body, unless detail asks
// for all of it (Shift+Tab twice, or name?? in a console).
func funcHeader(text string, detail int) string {
	if detail == 0 {
		if i := strings.Index(text, "{"); i > 0 {
			return strings.TrimSpace(text[:i])
		}
	}
	return text
}

// callOpenParen returns the byte offset of the "(" of the innermost call
// whose parentheses hold byte offset off, or -1. It looks back only to the
// start of the statement's line group (a blank line or a "{" / "}" ends the
// search) and does not parse: a parenthesis inside a string literal can
// mislead it into no answer or another call's, never past the code.
func callOpenParen(code string, off int) int {
	depth := 0
	for i := off - 1; i >= 0; i-- {
		switch code[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				return i
			}
			depth--
		case '{', '}':
			return -1
		case '\n':
			if i > 0 && code[i-1] == '\n' {
				return -1
			}
		}
	}
	return -1
}

// snapshot returns the remembered declarations with those of code (the cell
// being edited) merged in, when code parses.
func (e *Engine) snapshot(code string) *declSet {
	e.mu.RLock()
	decls := e.decls.clone()
	e.mu.RUnlock()
	if sc, err := split(code, settings{}); err == nil {
		if pc, err := parseCode(sc.Code); err == nil {
			decls.merge(pc, completionCell)
		}
	}
	return decls
}
