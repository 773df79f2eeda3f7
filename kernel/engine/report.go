package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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
	return compileErrorReportLost(diags, current, source, rawOutput, nil)
}

// lostValues says why a variable of an earlier cell did not carry over
// (values.go): its type, the cell that made it and the reason.
type lostValues func(name string) (typ string, cell int, why string, ok bool)

// compileErrorReportLost is compileErrorReport with the variables that did
// not carry over, so that "undefined: pipe" says why pipe is gone.
func compileErrorReportLost(diags []Diagnostic, current int, source cellSource, rawOutput string, lost lostValues) *interp.Error {
	e := &interp.Error{Name: "CompileError"}
	diags = dropFollowOnSyntaxErrors(diags)
	// The same message at several lines of one cell (every use of a name
	// that is not there) is shown once, with the other lines named.
	type headline struct {
		index int      // in e.Traceback
		line  int      // of the diagnostic shown
		also  []string // other lines with the same message
	}
	var heads []*headline
	byMsg := map[string]*headline{}
	for _, d := range diags {
		cell, _ := diagnosticCell(d, current)
		key := fmt.Sprint(cell, "\x00", d.Msg)
		if h, ok := byMsg[key]; ok && d.Line > 0 {
			if line := strconv.Itoa(d.Line); d.Line != h.line && !slices.Contains(h.also, line) {
				h.also = append(h.also, line)
			}
			continue
		}
		if len(heads) == maxReportedDiagnostics {
			e.Traceback = append(e.Traceback, fmt.Sprintf("... and more errors (%d in all)", len(diags)))
			break
		}
		head, src, caret := describeDiagnostic(d, current, source)
		if e.Value == "" {
			e.Value = head
		}
		h := &headline{index: len(e.Traceback), line: d.Line}
		heads = append(heads, h)
		byMsg[key] = h
		e.Traceback = append(e.Traceback, head)
		if src != "" {
			e.Traceback = append(e.Traceback, "    "+src, "    "+caret)
		}
	}
	for _, h := range heads {
		switch len(h.also) {
		case 0:
		case 1:
			e.Traceback[h.index] += " (also line " + h.also[0] + ")"
		default:
			e.Traceback[h.index] += " (also lines " + strings.Join(h.also, ", ") + ")"
		}
	}
	if e.Value == "" {
		e.Value = firstLine(cleanGenerated(rawOutput))
		if e.Value == "" {
			e.Value = "build failed"
		}
		e.Traceback = append(e.Traceback, strings.Split(strings.TrimSpace(cleanGenerated(rawOutput)), "\n")...)
	}
	hints := undefinedNameHints(diags, current, source, lost)
	if hint := earlierCellHint(diags, current); hint != "" {
		hints = append(hints, hint)
	}
	for _, hint := range hints {
		e.Traceback = append(e.Traceback, wrapHint(hint)...)
	}
	return e
}

// hintWidth is where hints are wrapped: the classic Notebook's output area
// holds about 95 monospace characters in a window under 1200 px, and breaks
// longer lines in the middle of words.
const hintWidth = 90

// wrapHint breaks a hint into lines of at most hintWidth bytes at spaces,
// the lines after the first indented under its text.
func wrapHint(hint string) []string {
	const indent = "      " // under the text after "hint: "
	var lines []string
	line := ""
	for _, word := range strings.Fields(hint) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) > hintWidth:
			lines = append(lines, line)
			line = indent + word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// earlierCellHint explains an error reported in an earlier cell: its
// declarations are remembered and compiled with every cell, so a cell that
// redefines something they use (a type's fields, a function's parameters)
// breaks them, and the user must change or forget them to go on.
func earlierCellHint(diags []Diagnostic, current int) string {
	var cells []string
	for _, d := range diags {
		if cell, ok := diagnosticCell(d, current); ok && cell != current {
			if c := fmt.Sprintf("cell [%d]", cell); !slices.Contains(cells, c) {
				cells = append(cells, c)
			}
		}
	}
	if len(cells) == 0 {
		return ""
	}
	return fmt.Sprintf("hint: %s holds remembered declarations that this cell's changes break: define them again "+
		"in this cell to match, or forget them with %%reset NAME (%%who lists them)", strings.Join(cells, ", "))
}

// diagnosticCell returns the cell a diagnostic points into; ok is false for
// generated code and for messages without a position.
func diagnosticCell(d Diagnostic, current int) (cell int, ok bool) {
	switch {
	case d.File == "" && d.Line == 0:
		return 0, false
	case d.File == "":
		return current, true
	case cellFilePattern.MatchString(d.File):
		cell, _ = strconv.Atoi(cellFilePattern.FindStringSubmatch(d.File)[1])
		return cell, true
	}
	return 0, false
}

// undefinedIdent matches the compiler's message for a plain name that
// neither the cell nor a remembered declaration declares.
var undefinedIdent = regexp.MustCompile(`^undefined: ([\pL_][\pL\pN_]*)$`)

// undefinedNameHints explains "undefined: NAME" errors of a plain name:
//   - a variable of an earlier cell whose value did not carry over (a
//     channel, a locked mutex, a type redefined since): lost says why;
//   - a misspelling of a name the notebook declares;
//   - a func no cell run since the start declares;
//   - NAME.Member where NAME is no package the cell imports. A standard
//     package's import is added whenever its name is used (imports.go), so
//     what is left is a package outside the standard library without its
//     import line.
//
// A name nothing ever declared gets no hint: a hint must be true for the
// case at hand.
func undefinedNameHints(diags []Diagnostic, current int, source cellSource, lost lostValues) []string {
	var gone, funcs, pkgs, typos []string
	seen := map[string]bool{}
	for _, d := range diags {
		m := undefinedIdent.FindStringSubmatch(d.Msg)
		if m == nil {
			continue
		}
		name := cleanGenerated(m[1]) // main, as the user wrote it
		if seen[name] {
			continue
		}
		seen[name] = true
		cell, ok := diagnosticCell(d, current)
		if ok && cell != current {
			continue // an earlier cell compiled before: earlierCellHint explains
		}
		text := ""
		if ok {
			text = source(cell)
		}
		if lost != nil {
			if typ, cell, why, ok := lost(name); ok {
				if typ != "" {
					typ = " (" + cleanGenerated(typ) + ")"
				}
				gone = append(gone, fmt.Sprintf("hint: %s%s of cell [%d] did not carry over: %s", name, typ, cell, why))
				continue
			}
		}
		if near := nearestIdent(name, text+"\n"+rememberedText(current, source)); near != "" {
			// A misspelling of a name the cell itself uses is far more
			// likely than the notebook pitfalls below.
			typos = append(typos, fmt.Sprintf("hint: %s is not declared; did you mean %s?", name, near))
			continue
		}
		switch followedBy(text, d.Line, d.Col, name) {
		case '.':
			pkgs = append(pkgs, name)
		case '(':
			funcs = append(funcs, name)
		}
	}
	hints := append(gone, typos...)
	if len(funcs) > 0 {
		hints = append(hints, fmt.Sprintf("hint: no cell run since the kernel started declares %s (a cell that fails to "+
			"compile declares nothing): check the spelling, or run the cell that declares it (after a restart, cells "+
			"have to be run again)", strings.Join(funcs, ", ")))
	}
	for _, name := range pkgs {
		hints = append(hints, fmt.Sprintf("hint: nothing declares %s and no standard package is called %s: a package "+
			"outside the standard library needs its import line", name, name))
	}
	return hints
}

// rememberedText joins the text of the earlier cells whose declarations
// are remembered (source knows only those), newest first, so that a typo of
// a name declared in an earlier cell finds it.
func rememberedText(current int, source cellSource) string {
	var b strings.Builder
	for n := current - 1; n >= 1 && n >= current-maxHintCells; n-- {
		if t := source(n); t != "" {
			b.WriteString(t)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// maxHintCells bounds how many earlier cells a hint looks at.
const maxHintCells = 500

// identPattern matches a Go identifier.
var identPattern = regexp.MustCompile(`[\pL_][\pL\pN_]*`)

// nearestIdent returns the identifier of text closest to name when it is
// within a typo's reach (one edit for names up to 4 letters, two beyond),
// or "". Ties go to the first in the text. (editDistance is cell.go's.)
func nearestIdent(name, text string) string {
	reach := 1
	if len(name) > 4 {
		reach = 2
	}
	best, bestDist := "", reach+1
	for _, id := range identPattern.FindAllString(text, -1) {
		if id == name || len(id) < 2 {
			continue
		}
		if diff := len(id) - len(name); diff > reach || -diff > reach {
			continue
		}
		if d := editDistance(name, id); d < bestDist {
			best, bestDist = id, d
		}
	}
	return best
}

// followedBy returns the byte after name at byte column col of line
// (1-based) of text, skipping spaces: '.' for name.Member, '(' for a call,
// 0 when there is none or name is not there.
func followedBy(text string, line, col int, name string) byte {
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1]) {
		return 0
	}
	rest, ok := strings.CutPrefix(lines[line-1][col-1:], name)
	if rest = strings.TrimLeft(rest, " \t"); !ok || rest == "" {
		return 0
	}
	return rest[0]
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
	msg = typeAliasPattern.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, cellrtAlias+".", "")
	msg = strings.ReplaceAll(msg, cellrtAlias, "cellrt")
	msg = strings.ReplaceAll(msg, userMainName, "main")
	return strings.ReplaceAll(msg, cellFuncName, "main")
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

// cellTimes is what %time prints after a cell, in IPython's words: the
// program's CPU time (with the children it waited for) and wall-clock time,
// then the build, which %%time in IPython has no counterpart for.
func cellTimes(wall, user, sys, build time.Duration, how string) string {
	built := "building it took " + shortDuration(build)
	switch how {
	case "cache":
		built = "its binary was built before"
	case "built ahead":
		built = "its binary was built ahead, while the cells before it ran"
	}
	return fmt.Sprintf("CPU times: user %s, sys %s, total %s\nWall time: %s (the program; %s)\n",
		shortDuration(user), shortDuration(sys), shortDuration(user+sys), shortDuration(wall), built)
}

// shortDuration writes d with three significant digits, as IPython's
// %time does: 812 µs, 12.3 ms, 1.52 s.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
}
