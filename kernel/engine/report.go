package engine

import (
	"fmt"
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
	return e
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
