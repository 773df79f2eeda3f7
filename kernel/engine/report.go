package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/kernel/interp"
)

// maxReportedDiagnostics bounds the traceback of a cell with many errors.
const maxReportedDiagnostics = 10

// cellSource returns the text of cell count (magic lines blanked), or ""
// when it is not known any more.
type cellSource func(count int) string

// compileErrorReport turns compiler (or parser) diagnostics into the error
// the user sees: ename "CompileError", evalue the first message, and for
// each message a line "cell [3] line 5: undefined: x", the source line and a
// caret under the column. Diagnostics with File "" are at positions of the
// current cell.
func compileErrorReport(diags []Diagnostic, current int, source cellSource, rawOutput string) *interp.Error {
	e := &interp.Error{Name: "CompileError"}
	diags = dropFollowOnSyntaxErrors(diags)
	for i, d := range diags {
		if i == maxReportedDiagnostics {
			e.Traceback = append(e.Traceback, fmt.Sprintf("... and %d more errors", len(diags)-i))
			break
		}
		head, src, caret := describeDiagnostic(d, current, source)
		if i == 0 {
			e.Value = head
		}
		e.Traceback = append(e.Traceback, head)
		if src != "" {
			e.Traceback = append(e.Traceback, "    "+src, "    "+caret)
		}
	}
	if e.Value == "" {
		e.Value = firstLine(cleanGenerated(rawOutput))
		if e.Value == "" {
			e.Value = "build failed"
		}
		e.Traceback = append(e.Traceback, strings.Split(strings.TrimSpace(cleanGenerated(rawOutput)), "\n")...)
	}
	if hint := cellScopeHint(diags); hint != "" {
		e.Traceback = append(e.Traceback, hint)
	}
	return e
}

// undefinedIdent matches the compiler's message for a plain name that
// neither the cell nor a remembered declaration declares.
var undefinedIdent = regexp.MustCompile(`^undefined: ([\pL_][\pL\pN_]*)$`)

// cellScopeHint explains the notebook's scoping when a cell uses a plain
// name nobody declares. The usual cause in a notebook is a variable made
// with := in an earlier cell, which (unlike a Python variable) lived only in
// that cell's main: a bare "undefined: x" reads as if the kernel lost it.
func cellScopeHint(diags []Diagnostic) string {
	var names []string
	for _, d := range diags {
		if m := undefinedIdent.FindStringSubmatch(d.Msg); m != nil && !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	if len(names) == 0 {
		return ""
	}
	it := "it"
	if len(names) > 1 {
		it = "them"
	}
	return fmt.Sprintf("hint: a variable made with := lives only in its own cell; to use %s in later cells, "+
		"declare %s at the top level of a cell: var %s = ... (only declarations carry over)",
		strings.Join(names, ", "), it, names[0])
}

// dropFollowOnSyntaxErrors keeps the first syntax error of a cell that has
// an unterminated literal: the parser's later complaints are about the text
// swallowed by the literal and the code the kernel wraps around the cell
// ("expected operand, found '}'" where the user wrote no brace).
func dropFollowOnSyntaxErrors(diags []Diagnostic) []Diagnostic {
	for i, d := range diags {
		if strings.HasSuffix(d.Msg, "not terminated") {
			return diags[:i+1]
		}
	}
	return diags
}

// describeDiagnostic renders one diagnostic: its headline, the source line
// it points at and a caret line ("" when the source is unknown).
func describeDiagnostic(d Diagnostic, current int, source cellSource) (head, src, caret string) {
	msg := cleanGenerated(d.Msg)
	cell := current
	switch {
	case d.File == "" && d.Line == 0:
		return msg, "", "" // a linker or tool message
	case d.File == "":
	case cellFilePattern.MatchString(d.File):
		cell, _ = strconv.Atoi(cellFilePattern.FindStringSubmatch(d.File)[1])
	default:
		// Code the kernel generated around the cells: no position to show.
		return "in the code that runs the cell: " + msg, "", ""
	}
	if d.Line == 0 {
		return fmt.Sprintf("cell [%d]: %s", cell, msg), "", ""
	}
	head = fmt.Sprintf("cell [%d] line %d: %s", cell, d.Line, msg)
	lines := strings.Split(source(cell), "\n")
	if d.Line > len(lines) {
		return head, "", ""
	}
	src = strings.TrimRight(lines[d.Line-1], " \t\r")
	return head, src, caretLine(src, d.Col)
}

// caretLine puts ^ under byte column col (1-based) of line, copying its tabs
// so the caret lines up however tabs are shown.
func caretLine(line string, col int) string {
	if col < 1 {
		return ""
	}
	var b strings.Builder
	for i, r := range line {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// cleanGenerated removes the names of generated code from a message.
func cleanGenerated(msg string) string {
	msg = strings.ReplaceAll(msg, cellrtAlias+".", "")
	return strings.ReplaceAll(msg, cellrtAlias, "cellrt")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// magicErrorReport is a magic that is unknown or misused.
func magicErrorReport(err *MagicError, count int) *interp.Error {
	return &interp.Error{
		Name:      "UsageError",
		Value:     err.Msg,
		Traceback: []string{fmt.Sprintf("cell [%d] line %d: %s", count, err.Line, err.Msg)},
	}
}
