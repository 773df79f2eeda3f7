package grade

import (
	"go/scanner"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// cellToken is one token of a cell.
type cellToken struct {
	tok token.Token
	lit string
}

// topLevelNames returns the names a cell declares at package level — the
// names the engine remembers for later cells: funcs (not methods), types,
// vars and consts outside any bracket. Magic lines are skipped. It works on
// tokens rather than a syntax tree because a cell mixes declarations and
// statements, which is not a valid Go file.
func topLevelNames(src string) []string {
	if strings.HasPrefix(strings.TrimSpace(src), "%%") {
		return nil // a cell magic (%%bash …): not Go
	}
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "%") {
			lines[i] = ""
		}
	}
	body := []byte(strings.Join(lines, "\n"))
	var s scanner.Scanner
	s.Init(token.NewFileSet().AddFile("cell", -1, len(body)), body, nil, 0)
	var toks []cellToken
	for {
		_, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, cellToken{t, lit})
	}

	var names []string
	depth := 0 // of (), [] and {}
	for i := 0; i < len(toks); i++ {
		switch toks[i].tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
			continue
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
			continue
		}
		if depth != 0 || i+1 >= len(toks) {
			continue
		}
		next := toks[i+1]
		switch toks[i].tok {
		case token.FUNC:
			if next.tok == token.IDENT { // "func (r T) m" is a method: no new name
				names = append(names, next.lit)
			}
		case token.VAR, token.CONST, token.TYPE:
			if next.tok == token.IDENT {
				names = append(names, identList(toks[i+1:])...)
				continue
			}
			if next.tok != token.LPAREN {
				continue
			}
			// A group: a spec starts right after "(" or after a ";" at the group's level.
			inner, start := 0, true
			for j := i + 2; j < len(toks); j++ {
				t := toks[j].tok
				if t == token.RPAREN && inner == 0 {
					i = j
					break
				}
				switch t {
				case token.LPAREN, token.LBRACK, token.LBRACE:
					inner++
				case token.RPAREN, token.RBRACK, token.RBRACE:
					inner--
				case token.IDENT:
					if start && inner == 0 {
						names = append(names, identList(toks[j:])...)
					}
				}
				start = t == token.SEMICOLON && inner == 0
			}
		}
	}
	return names
}

// identList reads "a, b, c" at the start of toks.
func identList(toks []cellToken) []string {
	var names []string
	for i := 0; i < len(toks) && toks[i].tok == token.IDENT; i += 2 {
		names = append(names, toks[i].lit)
		if i+1 >= len(toks) || toks[i+1].tok != token.COMMA {
			break
		}
	}
	return names
}

// protectedNames are the names a student's cell may not declare at package
// level: Go's predeclared names (a package-level "func panic(any) {}" would
// silence every failing check in the tests) and the names the assignment's
// locked cells declare (the given types and helpers the tests rely on).
func protectedNames(src *notebook.Notebook) map[string]string {
	protected := map[string]string{}
	for _, name := range types.Universe.Names() {
		protected[name] = "a predeclared Go name"
	}
	for i := range src.Cells {
		c := &src.Cells[i]
		if kind, g := kindOf(c); kind == lockedCell && c.Type == notebook.CodeCell {
			for _, name := range topLevelNames(c.Source) {
				protected[name] = "declared by the locked cell " + g.GradeID
			}
		}
	}
	return protected
}

// shadowing returns the protected names src declares, sorted, each with why
// it is protected.
func shadowing(src string, protected map[string]string) []string {
	var found []string
	for _, name := range topLevelNames(src) {
		if why, ok := protected[name]; ok {
			found = append(found, name+" ("+why+")")
		}
	}
	slices.Sort(found)
	return slices.Compact(found)
}
