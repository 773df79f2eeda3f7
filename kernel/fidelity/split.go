package fidelity

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// Parts are a `package main` program cut the way a student splits it into
// cells: everything but the package clause and main (imports, types,
// functions, init), and the statements of main's body.
type Parts struct {
	Declarations string
	Body         string
	HasInit      bool // the program declares a func init
	HasVars      bool // the program declares package-level variables
	mainOffset   int  // of main's name in src
	src          string
}

// Split cuts a program into its declarations and main's body.
func Split(src string) (*Parts, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "program.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	if f.Name.Name != "main" {
		return nil, errors.New("not package main")
	}
	tf := fset.File(f.Pos())
	off := func(p token.Pos) int { return tf.Offset(p) }
	parts := &Parts{src: src}
	var main *ast.FuncDecl
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			parts.HasVars = true
		}
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil {
			continue
		}
		switch fd.Name.Name {
		case "main":
			main = fd
		case "init":
			parts.HasInit = true
		}
	}
	if main == nil || main.Body == nil {
		return nil, errors.New("no func main")
	}
	parts.mainOffset = off(main.Name.Pos())
	start := main.Pos()
	if main.Doc != nil {
		start = main.Doc.Pos()
	}
	afterPackage := off(f.Name.End())
	before := strings.TrimSpace(src[afterPackage:off(start)])
	after := strings.TrimSpace(src[off(main.End()):])
	parts.Declarations = strings.TrimSpace(before+"\n\n"+after) + "\n"
	body := src[off(main.Body.Lbrace)+1 : off(main.Body.Rbrace)]
	parts.Body = dedent(strings.Trim(body, "\n")) + "\n"
	return parts, nil
}

// dedent removes one leading tab from every line: main's body as a student
// would paste it at the top level of a cell.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	return strings.Join(lines, "\n")
}

// WithMainRenamed returns the program with func main renamed to name, so
// that another file of the package can declare a main that calls it.
func (p *Parts) WithMainRenamed(name string) string {
	return p.src[:p.mainOffset] + name + p.src[p.mainOffset+len("main"):]
}
