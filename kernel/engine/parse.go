package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// span is a piece of a cell's text and where it starts in the cell.
type span struct {
	Text      string
	Line, Col int // 1-based, in the cell
	Off       int // byte offset in the cell
}

// parsedCell is a cell's Go code taken apart: what is remembered across
// cells (imports, declarations) and what runs once (statements).
type parsedCell struct {
	Imports []importSpec
	Decls   []decl
	// Stmts are the cell's statements in order, as runs of source text.
	Stmts []span
	// Trailing is the cell's last statement when it is an expression that may
	// have a value to show (Out[n]); its text is not in Stmts.
	Trailing *span
	// TrailingCall says Trailing is a call whose result count only the type
	// checker knows.
	TrailingCall bool
	// Defined are the names the statements declare at their top level
	// (x := ...), which the program marks used so `x := 5` alone compiles.
	Defined []string
	// Defines are the top-level := statements, in order: the values stage
	// turns those whose variables carry over into assignments to package
	// vars (see values.go).
	Defines []define
	// File is the file name the cell's code has in programs: codeFile(code)
	// when the engine parses it (parseCode), "" for cellFile(count).
	File string
}

// define is one top-level := statement.
type define struct {
	Op    int      // byte offset of ":=" in the cell
	Names []string // the names on its left ("_" included), in order
}

// SyntaxError is a cell that does not parse. Diagnostics are at cell
// positions (File is "").
type SyntaxError struct{ Diagnostics []Diagnostic }

// Error is the first of the parser's messages, at its cell position.
func (e *SyntaxError) Error() string {
	d := e.Diagnostics[0]
	return fmt.Sprintf("line %d:%d: %s", d.Line, d.Col, d.Msg)
}

// chunk kinds found by segment.
const (
	chunkDecl = iota
	chunkStmts
	// chunkImport is an import declaration. Imports are parsed on their own
	// (hoisted), so one may follow a declaration or a statement in a cell.
	chunkImport
)

type chunk struct {
	kind       int
	start, end int // byte offsets in the cell
}

// chunkComment marks comments: they are kept in both views of the cell, so a
// doc comment stays attached to its declaration.
const chunkComment = -1

// parse takes code (a cell with its magics blanked) apart. Declarations and
// statements may mix in any order with no marker: top-level import, type,
// const, var and func declarations are declarations, everything else is a
// statement of the cell's main.
// parseCode is parse for the engine: the cell's code is named by codeFile.
func parseCode(code string) (*parsedCell, error) {
	pc, err := parse(code)
	if pc != nil {
		pc.File = codeFile(code)
	}
	return pc, err
}

func parse(code string) (*parsedCell, error) {
	chunks := segment(code)
	pc := &parsedCell{}
	var diags []Diagnostic

	// Declarations: the cell with its statements blanked, as a file.
	const declPrefix = "package main\n"
	declSrc := declPrefix + blankExcept(code, chunks, chunkDecl)
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "cell.go", declSrc, parser.ParseComments|parser.SkipObjectResolution)
	lines := strings.Count(code, "\n") + 1
	diags = appendSyntaxErrors(diags, err, 1, lines)
	if file != nil && err == nil {
		off := func(p token.Pos) int { return fset.Position(p).Offset - len(declPrefix) }
		pc.collectDecls(code, file, off)
	}

	// Imports: the cell with everything else blanked, wherever its import
	// lines are (Go wants them first in a file; a cell need not).
	importSrc := declPrefix + blankExcept(code, chunks, chunkImport)
	ifile, err := parser.ParseFile(fset, "cell.go", importSrc, parser.SkipObjectResolution)
	diags = appendSyntaxErrors(diags, err, 1, lines)
	if ifile != nil && err == nil {
		off := func(p token.Pos) int { return fset.Position(p).Offset - len(declPrefix) }
		pc.collectDecls(code, ifile, off)
	}

	// Statements: the cell with its declarations blanked, as main's body.
	const stmtPrefix = "package main\nfunc main() {\n"
	stmtSrc := stmtPrefix + blankExcept(code, chunks, chunkStmts) + "\n}\n"
	sfile, err := parser.ParseFile(fset, "cell.go", stmtSrc, parser.SkipObjectResolution)
	diags = appendSyntaxErrors(diags, err, 2, lines)
	if len(diags) > 0 {
		return nil, &SyntaxError{Diagnostics: dedupeDiagnostics(diags)}
	}
	body := sfile.Decls[0].(*ast.FuncDecl).Body
	off := func(p token.Pos) int { return fset.Position(p).Offset - len(stmtPrefix) }
	pc.collectStmts(code, chunks, body.List, off)
	pc.varsAfterDefines()
	return pc, nil
}

// varsAfterDefines makes a statement of a var declaration that uses a
// variable the cell made with := before it (x := 5, then var y = x * 2), as
// go run reads it: a var in main. As a package declaration it would be
// initialised before the cell's statements ran and hold a zero value. The
// form var NAMES = VALUES becomes NAMES:= VALUES (same width, so positions
// stay), a := whose variables carry over like any other; a var with a type
// stays a var statement of the cell.
func (pc *parsedCell) varsAfterDefines() {
	defined := map[string]int{} // name -> offset of the := that makes it
	for _, d := range pc.Defines {
		for _, n := range d.Names {
			if _, ok := defined[n]; !ok && n != "_" {
				defined[n] = d.Op
			}
		}
	}
	if len(defined) == 0 {
		return
	}
	var keptDecls []decl
	for _, d := range pc.Decls {
		uses := false
		if d.Kind == "var" && d.Keyword == "" && strings.HasPrefix(d.Text.Text, "var") {
			for id := range identifiers(d.Text.Text) {
				if op, ok := defined[id]; ok && op < d.Text.Off {
					uses = true
				}
			}
		}
		if !uses {
			keptDecls = append(keptDecls, d)
			continue
		}
		st := d.Text
		if text, op, ok := varAsDefine(st.Text); ok {
			st.Text = text
			def := define{Op: st.Off + op, Names: d.Names}
			i, _ := slices.BinarySearchFunc(pc.Defines, def.Op, func(x define, op int) int { return x.Op - op })
			pc.Defines = slices.Insert(pc.Defines, i, def)
			for _, n := range d.Names {
				if n != "_" {
					defined[n] = def.Op
					if !slices.Contains(pc.Defined, n) {
						pc.Defined = append(pc.Defined, n)
					}
				}
			}
		}
		i, _ := slices.BinarySearchFunc(pc.Stmts, st.Off, func(x span, off int) int { return x.Off - off })
		pc.Stmts = slices.Insert(pc.Stmts, i, st)
	}
	pc.Decls = keptDecls
}

// varAsDefine rewrites "var a, b = x, y" as "    a, b:= x, y" and returns
// the offset of its ":=".
func varAsDefine(text string) (string, int, bool) {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(text))
	s.Init(f, []byte(text), nil, 0)
	if _, tok, _ := s.Scan(); tok != token.VAR {
		return "", 0, false
	}
	for wantIdent := true; ; wantIdent = !wantIdent {
		pos, tok, _ := s.Scan()
		switch {
		case wantIdent && tok == token.IDENT:
		case !wantIdent && tok == token.COMMA:
		case !wantIdent && tok == token.ASSIGN:
			op := f.Offset(pos) - 1
			if op < 0 || text[op] != ' ' {
				return "", 0, false
			}
			return "   " + text[3:op] + ":=" + text[op+2:], op, true
		default:
			return "", 0, false // a type, or no value: a var statement
		}
	}
}

// segment splits code into runs of declarations and runs of statements by
// looking at the tokens that start each top-level statement.
func segment(code string) []chunk {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("cell.go", -1, len(code))
	s.Init(f, []byte(code), nil, scanner.ScanComments) // errors show up again when parsing
	type tok struct {
		pos int
		tok token.Token
	}
	var toks []tok
	var comments []chunk
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		if t == token.COMMENT {
			comments = append(comments, chunk{chunkComment, f.Offset(pos), f.Offset(pos) + len(lit)})
			continue
		}
		toks = append(toks, tok{f.Offset(pos), t})
	}
	var chunks []chunk
	add := func(kind, start, end int) {
		if n := len(chunks); n > 0 && chunks[n-1].kind == kind && kind == chunkStmts {
			chunks[n-1].end = end
			return
		}
		chunks = append(chunks, chunk{kind, start, end})
	}
	end := func(i int) int { // offset just past toks[i-1]'s statement
		if i < len(toks) {
			return toks[i].pos
		}
		return len(code)
	}
	for i := 0; i < len(toks); {
		if toks[i].tok == token.SEMICOLON {
			i++
			continue
		}
		if toks[i].tok == token.PACKAGE {
			// A pasted whole program: its package clause is dropped (blanked).
			for i < len(toks) && toks[i].tok != token.SEMICOLON {
				i++
			}
			continue
		}
		start := i
		kind := chunkStmts
		switch toks[i].tok {
		case token.IMPORT:
			kind = chunkImport
		case token.TYPE, token.CONST, token.VAR:
			kind = chunkDecl
		case token.FUNC:
			if isFuncDecl(toks[i+1:], func(t tok) token.Token { return t.tok }) {
				kind = chunkDecl
			}
		}
		// Skip to the semicolon ending this top-level statement.
		depth := 0
		for i < len(toks) {
			switch toks[i].tok {
			case token.LPAREN, token.LBRACE, token.LBRACK:
				depth++
			case token.RPAREN, token.RBRACE, token.RBRACK:
				depth--
			}
			i++
			if depth <= 0 && i < len(toks) && toks[i].tok == token.SEMICOLON {
				break
			}
		}
		add(kind, toks[start].pos, end(i))
	}
	return append(chunks, comments...)
}

// isFuncDecl tells a function or method declaration from a statement that
// starts with a function literal, looking at the tokens after "func":
// "F" or "(r T) M(" declare; "() {" or "(x int) int {" are literals.
func isFuncDecl[T any](rest []T, tokOf func(T) token.Token) bool {
	if len(rest) == 0 {
		return false
	}
	if tokOf(rest[0]) == token.IDENT {
		return true
	}
	if tokOf(rest[0]) != token.LPAREN {
		return false
	}
	depth := 0
	for i, t := range rest {
		switch tokOf(t) {
		case token.LPAREN:
			depth++
		case token.RPAREN:
			depth--
			if depth == 0 {
				return i+2 < len(rest) && tokOf(rest[i+1]) == token.IDENT &&
					(tokOf(rest[i+2]) == token.LPAREN || tokOf(rest[i+2]) == token.LBRACK)
			}
		}
	}
	return false
}

// blankExcept replaces every byte of code outside chunks of kind with a space
// (newlines kept), so offsets, lines and columns stay those of the cell.
func blankExcept(code string, chunks []chunk, kind int) string {
	b := []byte(code)
	keep := make([]bool, len(b))
	for _, c := range chunks {
		if c.kind == kind || c.kind == chunkComment {
			for i := c.start; i < c.end; i++ {
				keep[i] = true
			}
		}
	}
	for i := range b {
		if !keep[i] && b[i] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// appendSyntaxErrors adds the parser's errors, moving their lines back by
// the lines of the prefix the cell was wrapped in.
func appendSyntaxErrors(diags []Diagnostic, err error, prefixLines, cellLines int) []Diagnostic {
	list, ok := err.(scanner.ErrorList)
	if !ok {
		if err != nil {
			diags = append(diags, Diagnostic{Line: 1, Col: 1, Msg: err.Error()})
		}
		return diags
	}
	for _, e := range list {
		line, col := max(e.Pos.Line-prefixLines, 1), e.Pos.Column
		if line > cellLines { // in the wrapper after the cell: at its end
			line, col = cellLines, 1<<20
		}
		msg := strings.Replace(e.Msg, "expected declaration, found", "expected a declaration or statement, found", 1)
		diags = append(diags, Diagnostic{Line: line, Col: col, Msg: msg})
	}
	return diags
}

func dedupeDiagnostics(diags []Diagnostic) []Diagnostic {
	seen := map[string]bool{}
	var out []Diagnostic
	for _, d := range diags {
		k := fmt.Sprint(d.Line, d.Col, d.Msg)
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	// Report in the order of the cell.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (out[j].Line < out[j-1].Line || out[j].Line == out[j-1].Line && out[j].Col < out[j-1].Col); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// spanAt is the text of code between two offsets with its cell position.
func spanAt(code string, start, end int) span {
	line := 1 + strings.Count(code[:start], "\n")
	col := start - strings.LastIndexByte(code[:start], '\n')
	return span{Text: code[start:end], Line: line, Col: col, Off: start}
}

// collectDecls records the imports and declarations of file. off maps a
// position to an offset in code.
func (pc *parsedCell) collectDecls(code string, file *ast.File, off func(token.Pos) int) {
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			dc := funcDecl(d, spanAt(code, off(d.Pos()), off(d.End())), docText(d.Doc))
			if d.Body != nil {
				dc.BodyStart = off(d.Body.Lbrace) - off(d.Pos())
			}
			pc.Decls = append(pc.Decls, dc)
		case *ast.GenDecl:
			pc.collectGenDecl(code, d, off)
		}
	}
}

func (pc *parsedCell) collectGenDecl(code string, d *ast.GenDecl, off func(token.Pos) int) {
	if d.Tok == token.IMPORT {
		for _, s := range d.Specs {
			is := s.(*ast.ImportSpec)
			path, _ := strconv.Unquote(is.Path.Value)
			spec := importSpec{Path: path}
			if is.Name != nil {
				spec.Name = is.Name.Name
			}
			pc.Imports = append(pc.Imports, spec)
		}
		return
	}
	// A const group stays whole: iota and implicit repetition tie its specs.
	if d.Tok == token.CONST && d.Lparen.IsValid() && len(d.Specs) > 1 {
		var names []string
		for _, s := range d.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				names = append(names, n.Name)
			}
		}
		pc.Decls = append(pc.Decls, decl{Kind: "const", Names: names,
			Text: spanAt(code, off(d.Pos()), off(d.End())), Doc: docText(d.Doc)})
		return
	}
	// Other groups become one declaration per spec, so each name can be
	// replaced on its own later.
	for _, s := range d.Specs {
		dc := decl{Kind: d.Tok.String()}
		if d.Lparen.IsValid() {
			dc.Keyword = d.Tok.String() + " "
		}
		start, end := s.Pos(), s.End()
		var doc *ast.CommentGroup
		switch s := s.(type) {
		case *ast.TypeSpec:
			dc.Names = []string{s.Name.Name}
			doc = s.Doc
		case *ast.ValueSpec:
			for _, n := range s.Names {
				dc.Names = append(dc.Names, n.Name)
			}
			doc = s.Doc
		}
		if !d.Lparen.IsValid() {
			start, doc = d.Pos(), d.Doc
		}
		dc.Text = spanAt(code, off(start), off(end))
		dc.Doc = docText(doc)
		pc.Decls = append(pc.Decls, dc)
	}
}

func docText(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return g.Text()
}

// funcDecl describes a function or method declaration.
func funcDecl(d *ast.FuncDecl, text span, doc string) decl {
	dc := decl{Kind: "func", Names: []string{d.Name.Name}, Text: text, Doc: doc,
		Generic: d.Type.TypeParams != nil && len(d.Type.TypeParams.List) > 0}
	if d.Recv != nil && len(d.Recv.List) > 0 {
		dc.Kind = "method"
		dc.Receiver = receiverTypeName(d.Recv.List[0].Type)
	}
	return dc
}

// receiverTypeName is "T" for receivers T, *T, T[K], *T[K, V].
func receiverTypeName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return fmt.Sprintf("%T", e)
		}
	}
}

// collectStmts records the statement runs, the trailing expression and the
// names the statements define.
func (pc *parsedCell) collectStmts(code string, chunks []chunk, stmts []ast.Stmt, off func(token.Pos) int) {
	last := -1 // offset where the trailing expression starts, if any
	if n := len(stmts); n > 0 && endsCell(code, chunks, off(stmts[n-1].End())) {
		if es, ok := stmts[n-1].(*ast.ExprStmt); ok && showsValue(es.X) {
			last = off(es.Pos())
			pc.Trailing = new(span)
			*pc.Trailing = spanAt(code, last, off(es.End()))
			_, pc.TrailingCall = ast.Unparen(es.X).(*ast.CallExpr)
		}
	}
	for _, c := range chunks {
		if c.kind != chunkStmts {
			continue
		}
		end := c.end
		if last >= c.start && last < c.end {
			end = last
		}
		if strings.TrimSpace(code[c.start:end]) != "" {
			pc.Stmts = append(pc.Stmts, spanAt(code, c.start, end))
		}
	}
	seen := map[string]bool{}
	for _, s := range stmts {
		if as, ok := s.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			d := define{Op: off(as.TokPos)}
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					d.Names = append(d.Names, id.Name)
				}
			}
			pc.Defines = append(pc.Defines, d)
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" && !seen[id.Name] {
					seen[id.Name] = true
					pc.Defined = append(pc.Defined, id.Name)
				}
			}
		}
	}
}

// endsCell reports whether only blanks, comments and import lines (which
// are hoisted) follow offset end.
func endsCell(code string, chunks []chunk, end int) bool {
	for _, c := range chunks {
		if c.start >= end && c.kind == chunkDecl {
			return false
		}
	}
	return true
}

// showsValue says whether an expression statement may have a value worth
// showing. A receive (<-done) is how a cell waits, not a value to show; the
// builtins here return nothing or are only called for effect.
func showsValue(x ast.Expr) bool {
	x = ast.Unparen(x)
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return false
	}
	if call, ok := x.(*ast.CallExpr); ok {
		if id, ok := call.Fun.(*ast.Ident); ok {
			switch id.Name {
			case "print", "println", "panic", "close", "delete", "clear", "copy", "recover":
				return false
			}
		}
	}
	return true
}
