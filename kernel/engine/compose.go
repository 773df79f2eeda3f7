package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/scanner"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Names the generated program uses. They start with an underscore and name
// the kernel, so no cell collides with them by accident; report.go keeps
// them out of what the user sees.
const (
	cellrtAlias = "_gokernel_cellrt"
	// cellFuncName is the function that runs the cell's statements; the
	// generated main calls it between the runtime's Start and Finish.
	cellFuncName = "_gokernel_cell"
	// userMainName is what the user's own func main is called in the
	// program (see renameMain).
	userMainName = "_gokernel_main"
	// keepAlias is the import name of package keep, or of keep/plain in a
	// program that keeps only values of predeclared types (values.go).
	keepAlias = "_gokernel_keep"
	// loadListName and saveListName are the package vars holding the
	// []keep.Var lists the program loads and saves (see writeKeptVars).
	loadListName = "_gokernel_load"
	saveListName = "_gokernel_save"
	// typeAliasPrefix starts the import names of the packages kept
	// variables' types come from (values.go).
	typeAliasPrefix = "_gokernel_t_"
	// generatedFile is the file name //line gives the generated lines, so no
	// generated line is counted as a line of a cell.
	generatedFile = "gokernel.go"
)

// cellFile is the file name of cell count's code in positions: errors and
// panics say cellN.go:L, which the run and report stages show as cell [N] line L.
func cellFile(count int) string { return "cell" + strconv.Itoa(count) + ".go" }

// codeFile is the file name the engine gives a cell's code in its program
// instead of cellFile: it names the code, not the execution count, so the
// program of a cell run again (or run in the same order by another kernel)
// is the same program and its binary is reused (build.go, bincache). The
// engine maps such names back to execution counts (cellFiles) before
// anything parses positions, so messages still say cell [N] line L.
func codeFile(code string) string {
	h := sha256.Sum256([]byte(code))
	return codeFilePrefix + hex.EncodeToString(h[:codeFileHashBytes]) + ".go"
}

const (
	codeFilePrefix    = "cell_"
	codeFileHashBytes = 6
)

// codeFilePattern matches codeFile names wherever they appear in text.
var codeFilePattern = regexp.MustCompile(codeFilePrefix + `[0-9a-f]{12}\.go`)

// cellFilePattern matches cellFile names.
var cellFilePattern = regexp.MustCompile(`^cell(\d+)\.go$`)

// composition is what compose needs for one program.
type composition struct {
	Decls   *declSet    // remembered declarations, this cell's merged in
	Cell    *parsedCell // this cell's statements
	Count   int         // this cell's execution count
	Imports []importSpec
	// ShowTrailing wraps the trailing expression in cellrt.Result, or in
	// cellrt.Results when TrailingResults says it is a call with two or more
	// results (shown like a tuple).
	ShowTrailing    bool
	TrailingResults bool
	// Values are the kept variables the program declares, loads and
	// saves (values.go); nil for a program that keeps nothing.
	Values *valueSection
}

// program is a composed program.
type program struct {
	Source []byte
	// BodyOffset is where the declarations start, after the imports.
	BodyOffset int
	// TrailingOffset is the byte offset of the trailing expression in Source,
	// -1 if the cell has none.
	TrailingOffset int
}

// compose writes the program: imports, the remembered declarations, and a
// main that runs this cell's statements. Every piece of user code is preceded
// by a /*line cellN.go:L:C*/ directive giving its place in the cell it came
// from, so compiler errors and panic stacks name cell lines.
func compose(c composition) program {
	p := program{TrailingOffset: -1}
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	fmt.Fprintf(&b, "\t%s %q\n", cellrtAlias, cellrtImportPath)
	vs := c.Values
	if vs.keeps() {
		fmt.Fprintf(&b, "\t%s %q\n", keepAlias, vs.keepPath())
		vs.addImportedSentinels(c.Imports) // before the alias imports are written
	}
	aliases := vs.usedImports()
	for _, alias := range slices.Sorted(maps.Keys(aliases)) {
		fmt.Fprintf(&b, "\t%s %q\n", alias, aliases[alias])
	}
	for _, imp := range c.Imports {
		if imp.Path == cellrtImportPath && imp.Name == cellrtAlias {
			continue
		}
		if imp.Name != "" {
			fmt.Fprintf(&b, "\t%s %q\n", imp.Name, imp.Path)
		} else {
			fmt.Fprintf(&b, "\t%q\n", imp.Path)
		}
	}
	b.WriteString(")\n")
	p.BodyOffset = b.Len()

	writeKeptVars(&b, c)

	var funcs []string
	for _, d := range c.Decls.Decls {
		text := d.Text
		if d.refs()["main"] {
			text.Text = renameMain(text.Text)
		}
		if _, ok := vs.replaces(d); ok {
			continue // written by writeKeptVars
		}
		b.WriteString("\n")
		b.WriteString(d.Keyword)
		writeSpan(&b, d.file(), text)
		b.WriteString("\n")
		if d.Kind == "func" && !d.Generic && d.Names[0] != "main" && d.Names[0] != "init" && d.Names[0] != "_" {
			funcs = append(funcs, d.Names[0])
		}
	}
	slices.Sort(funcs)
	funcs = slices.Compact(funcs)

	saves := vs.keeps() && len(vs.Save) > 0
	if saves {
		// After every declaration: the list takes the addresses of vars
		// that have initializers. It is static data all the same (see
		// writeKeptVars).
		fmt.Fprintf(&b, "\n//line %s:7\nvar %s = %s\n", generatedFile, saveListName, vs.varList(vs.Save))
	}

	// The entry point only brackets the cell: the user's statements run in
	// a function of their own, so their deferred calls run (and print)
	// before Finish closes the cell's output, as they do before a plain
	// program exits. A panic, os.Exit or runtime.Goexit skips Finish, as
	// it skips the rest of a plain main.
	fmt.Fprintf(&b, "\n//line %s:1\nfunc main() {\n", generatedFile)
	fmt.Fprintf(&b, "\t%s.Start(map[string]any{", cellrtAlias)
	for i, f := range funcs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %s", f, f)
	}
	b.WriteString("})\n")
	fmt.Fprintf(&b, "\t%s()\n", cellFuncName)
	if saves {
		// Only when the cell's code returned: a failed cell keeps nothing.
		fmt.Fprintf(&b, "\t%s.Save(%s)\n", keepAlias, saveListName)
	}
	fmt.Fprintf(&b, "\t%s.Finish()\n}\n", cellrtAlias)

	fmt.Fprintf(&b, "\n//line %s:2\nfunc %s() {\n", generatedFile, cellFuncName)
	for _, s := range c.Cell.Stmts {
		s.Text = renameMain(vs.convert(s))
		writeSpan(&b, c.cellFile(), s)
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "//line %s:3\n", generatedFile)
	for _, name := range c.Cell.Defined {
		fmt.Fprintf(&b, "\t_ = %s\n", name)
	}
	if c.Cell.declaresMain() {
		// A pasted program: its main runs as the cell's.
		fmt.Fprintf(&b, "\t%s()\n", userMainName)
	}
	if t := c.Cell.Trailing; t != nil {
		text := renameMain(t.Text)
		if c.ShowTrailing {
			show := "Result"
			if c.TrailingResults {
				show = "Results"
			}
			fmt.Fprintf(&b, "%s%s.%s(", lineDirective(c.cellFile(), t.Line, t.Col), cellrtAlias, show)
			b.WriteString(lineDirective(c.cellFile(), t.Line, t.Col))
			p.TrailingOffset = b.Len()
			b.WriteString(text)
			b.WriteString(")\n")
		} else {
			if !c.Cell.TrailingCall {
				// A value nobody shows must still be used: `6*7` alone does not compile.
				b.WriteString(lineDirective(c.cellFile(), t.Line, t.Col) + "_ = ")
			}
			b.WriteString(lineDirective(c.cellFile(), t.Line, t.Col))
			p.TrailingOffset = b.Len()
			b.WriteString(text)
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "//line %s:4\n", generatedFile)
	}
	b.WriteString("}\n")
	p.Source = []byte(b.String())
	return p
}

// writeKeptVars writes the package vars of the kept values and of this
// cell's := variables that carry over, so that every func sees them, as a
// Python cell's functions see its globals, and the var whose initializer
// loads the kept values. They come first, before every declaration of the
// cells: Go initializes package vars in dependency order and, among those
// ready, in the order they are declared, so the kept vars (which have no
// initializer) are ready first, the loader next, and a var of a cell that
// uses a kept value (var doubled = hits * 2) and every init func see it
// loaded. A child process (nb.Process) runs the same initialization: it
// starts from the same values as its cell.
func writeKeptVars(b *strings.Builder, c composition) {
	vs := c.Values
	if vs == nil {
		return
	}
	if len(vs.Vars) > 0 {
		fmt.Fprintf(b, "\n//line %s:5\n", generatedFile)
		for _, v := range vs.Vars {
			fmt.Fprintf(b, "var %s %s\n", v.Name, v.Type)
		}
	}
	for _, d := range c.Decls.Decls {
		if typ, ok := vs.replaces(d); ok {
			// A var whose value is kept: declared without its
			// initializer, which ran in the cell that declared it.
			fmt.Fprintf(b, "\n%svar %s %s\n", lineDirective(d.file(), d.Text.Line, d.Text.Col), d.Names[0], typ)
		}
	}
	register, sentinels := vs.Register, vs.Sentinels
	if vs.keepsPlain() {
		register, sentinels = nil, nil // keep/plain keeps no interfaces, and has no registry
	}
	if !vs.keeps() || len(register)+len(sentinels)+len(vs.Load) == 0 {
		return
	}
	// The list of variables to load is a package var of its own, before
	// the loader: a composite literal of addresses is static data the
	// linker lays out, where the same literal in a function is code to
	// compile (≈ 2 ms more compile for ten variables).
	fmt.Fprintf(b, "\n//line %s:6\n", generatedFile)
	if len(vs.Load) > 0 {
		fmt.Fprintf(b, "var %s = %s\n\n", loadListName, vs.varList(vs.Load))
	}
	b.WriteString("var _ = func() bool {\n")
	for _, full := range sentinels {
		fmt.Fprintf(b, "\t%s.RegisterSentinel(%q, %s)\n", keepAlias, full, sentinelExpr(full))
	}
	for _, t := range register {
		fmt.Fprintf(b, "\t%s.RegisterType[%s]()\n", keepAlias, t)
	}
	if len(vs.Load) > 0 {
		fmt.Fprintf(b, "\t%s.Load(%s)\n", keepAlias, loadListName)
	}
	b.WriteString("\treturn true\n}()\n")
}

// writeSpan writes s preceded by the directive that gives it its cell position.
func writeSpan(b *strings.Builder, file string, s span) {
	b.WriteString(lineDirective(file, s.Line, s.Col))
	b.WriteString(s.Text)
}

func lineDirective(file string, line, col int) string {
	return fmt.Sprintf("/*line %s:%d:%d*/", file, line, max(col, 1))
}

// cellFile is the file name of this cell's code in the program.
func (c composition) cellFile() string {
	if c.Cell != nil && c.Cell.File != "" {
		return c.Cell.File
	}
	return cellFile(c.Count)
}

// varList writes a []keep.Var literal of names.
func (vs *valueSection) varList(names []string) string {
	plainly := vs.keepsPlain()
	var b strings.Builder
	fmt.Fprintf(&b, "[]%s.Var{", keepAlias)
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		if fp := vs.Plain[n]; plainly && !strings.HasPrefix(fp, ".") {
			// A cell's type on a predeclared one: keep/plain is handed the
			// variable as the predeclared type, and its fingerprint.
			fmt.Fprintf(&b, "{Name: %q, Ptr: (*%s)(&%s), Type: %q}", n, plainUnder(fp), n, fp)
			continue
		}
		fmt.Fprintf(&b, "{Name: %q, Ptr: &%s}", n, n)
	}
	b.WriteString("}")
	return b.String()
}

// renameMain gives every use of the identifier main in text (a call of the
// user's func main, its declaration, a reference to it) the user's main's
// name in the program: the program's own main is the generated entry point,
// so a cell's main() must not call that (it would recurse until the stack
// overflows). A selector (x.main) is left alone. Messages that name the
// renamed function say main again (see cleanGenerated).
func renameMain(text string) string {
	if !strings.Contains(text, "main") {
		return text
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(text))
	s.Init(file, []byte(text), nil, scanner.ScanComments)
	var b strings.Builder
	last, prev := 0, token.ILLEGAL
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.IDENT && lit == "main" && prev != token.PERIOD {
			off := file.Offset(pos)
			b.WriteString(text[last:off])
			b.WriteString(userMainName)
			last = off + len(lit)
		}
		if tok != token.COMMENT {
			prev = tok
		}
	}
	b.WriteString(text[last:])
	return b.String()
}
