package engine

import (
	"fmt"
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
	// generatedFile is the file name //line gives the generated lines, so no
	// generated line is counted as a line of a cell.
	generatedFile = "gokernel.go"
)

// cellFile is the file name of cell count's code in positions: errors and
// panics say cellN.go:L, which the run and report stages show as cell [N] line L.
func cellFile(count int) string { return "cell" + strconv.Itoa(count) + ".go" }

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

	var funcs []string
	for _, d := range c.Decls.Decls {
		if isMain(d) {
			continue // its body becomes the generated main's, below
		}
		b.WriteString("\n")
		b.WriteString(d.Keyword)
		writeSpan(&b, d.Cell, d.Text)
		b.WriteString("\n")
		if d.Kind == "func" && !d.Generic && d.Names[0] != "main" && d.Names[0] != "init" && d.Names[0] != "_" {
			funcs = append(funcs, d.Names[0])
		}
	}
	slices.Sort(funcs)
	funcs = slices.Compact(funcs)

	fmt.Fprintf(&b, "\n//line %s:1\nfunc main() {\n\t%s.Start(map[string]any{", generatedFile, cellrtAlias)
	for i, f := range funcs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %s", f, f)
	}
	b.WriteString("})\n")
	for _, s := range c.Cell.Stmts {
		writeSpan(&b, c.Count, s)
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "//line %s:3\n", generatedFile)
	for _, name := range c.Cell.Defined {
		fmt.Fprintf(&b, "\t_ = %s\n", name)
	}
	if body, ok := mainBody(c.Cell); ok {
		// A pasted program: its main's body runs as the cell's main, so
		// stacks say "main" and positions are the cell's.
		writeSpan(&b, c.Count, body)
		fmt.Fprintf(&b, "\n//line %s:3\n", generatedFile)
	}
	if t := c.Cell.Trailing; t != nil {
		if c.ShowTrailing {
			show := "Result"
			if c.TrailingResults {
				show = "Results"
			}
			fmt.Fprintf(&b, "%s%s.%s(", lineDirective(c.Count, t.Line, t.Col), cellrtAlias, show)
			b.WriteString(lineDirective(c.Count, t.Line, t.Col))
			p.TrailingOffset = b.Len()
			b.WriteString(t.Text)
			b.WriteString(")\n")
		} else {
			if !c.Cell.TrailingCall {
				// A value nobody shows must still be used: `6*7` alone does not compile.
				b.WriteString(lineDirective(c.Count, t.Line, t.Col) + "_ = ")
			}
			b.WriteString(lineDirective(c.Count, t.Line, t.Col))
			p.TrailingOffset = b.Len()
			b.WriteString(t.Text)
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "//line %s:4\n", generatedFile)
	}
	fmt.Fprintf(&b, "\t%s.Finish()\n}\n", cellrtAlias)
	p.Source = []byte(b.String())
	return p
}

// writeSpan writes s preceded by the directive that gives it its cell position.
func writeSpan(b *strings.Builder, cell int, s span) {
	b.WriteString(lineDirective(cell, s.Line, s.Col))
	b.WriteString(s.Text)
}

func lineDirective(cell, line, col int) string {
	return fmt.Sprintf("/*line %s:%d:%d*/", cellFile(cell), line, max(col, 1))
}

// mainBody returns the body (inside the braces) of the cell's own func main.
func mainBody(pc *parsedCell) (span, bool) {
	for _, d := range pc.Decls {
		if !isMain(d) || d.BodyStart <= 0 || !strings.HasSuffix(d.Text.Text, "}") {
			continue
		}
		text := d.Text.Text
		before := text[:d.BodyStart+1] // "func main() {"
		line := d.Text.Line + strings.Count(before, "\n")
		col := d.Text.Col + len(before)
		if nl := strings.LastIndexByte(before, '\n'); nl >= 0 {
			col = len(before) - nl
		}
		return span{Text: text[d.BodyStart+1 : len(text)-1], Line: line, Col: col}, true
	}
	return span{}, false
}
