package engine

import (
	"errors"
	"go/scanner"
	"go/token"
	"strings"
)

// errWantOneName is the usage error of magics that take one name.
var errWantOneName = errors.New("want one name")

// isShellLine reports whether line i of code is a `!cmd` shell line: it
// starts with "!" (not "!=") at the start of a statement, that is outside
// brackets and braces (top level only) and not continuing an expression (`a &&\n\t!b` is Go).
func isShellLine(code string, lines []string, i int) bool {
	text := strings.TrimSpace(lines[i])
	if !strings.HasPrefix(text, "!") || strings.HasPrefix(text, "!=") || len(text) == 1 {
		return false
	}
	off := 0
	for _, l := range lines[:i] {
		off += len(l)
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	before := code[:off]
	s.Init(fset.AddFile("", -1, len(before)), []byte(before), nil, 0)
	depth := 0
	last := token.SEMICOLON
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if !(tok == token.SEMICOLON && lit == "\n") {
			last = tok
		}
	}
	return depth <= 0 && !continuesLine(last)
}
