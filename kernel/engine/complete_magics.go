package engine

import (
	"slices"
	"strings"
)

// completeMagic completes a magic's name (and nothing in the body of a cell
// magic): the cursor (byte offset off) is
// right after "%na" or "%%na" at the start of a line. It returns the
// matches with their % or %% and the byte offset where the replaced text
// starts; ok is false when the cursor is not on a magic name.
func completeMagic(code string, off int) (matches []string, start int, ok bool) {
	lineStart := strings.LastIndexByte(code[:off], '\n') + 1
	if inCellMagicBody(code, off) {
		return nil, off, true // a script or a file's text: Go names would mislead
	}
	word := code[lineStart:off]
	indent := len(word) - len(strings.TrimLeft(word, " \t"))
	word = word[indent:]
	if !strings.HasPrefix(word, "%") || strings.ContainsAny(word, " \t") {
		return nil, 0, false
	}
	cell := strings.HasPrefix(word, "%%")
	if cell && lineStart != 0 {
		return nil, lineStart + indent, true // a cell magic is only valid on the first line
	}
	for _, m := range magics {
		if m.Name == "!" {
			continue
		}
		name := "%" + m.Name
		if m.Cell {
			name = "%%" + m.Name
		}
		if strings.HasPrefix(name, word) && !(m.Cell && lineStart != 0) {
			matches = append(matches, name)
		}
		if lineMagicForCell[m.Name] && lineStart == 0 && strings.HasPrefix("%%"+m.Name, word) {
			matches = append(matches, "%%"+m.Name) // %%time, as IPython writes it
		}
	}
	slices.Sort(matches)
	return matches, lineStart + indent, true
}

// cellMagicPending reports whether code is a cell magic's cell (%%bash ...)
// that may go on: as in IPython, a console ends such a cell with an empty
// line, since its body is not Go and has no brackets to balance.
func cellMagicPending(code string) bool {
	code, _ = skipLineMagicsForCell(code)
	if !strings.HasPrefix(strings.TrimLeft(code, " \t\n"), "%%") {
		return false
	}
	return !strings.HasSuffix(strings.TrimRight(code, " \t"), "\n\n")
}

// inCellMagicBody reports whether byte offset off of code is below the
// first line of a cell magic's cell (%%bash, %%python3, %%writefile ...),
// where the text is not Go.
func inCellMagicBody(code string, off int) bool {
	code, skipped := skipLineMagicsForCell(code)
	if off -= skipped; off < 0 {
		return false // on a %%time line
	}
	trimmed := strings.TrimLeft(code, " \t\n")
	if !strings.HasPrefix(trimmed, "%%") {
		return false
	}
	first := len(code) - len(trimmed)
	nl := strings.IndexByte(code[first:], '\n')
	return nl >= 0 && off > first+nl
}

// skipLineMagicsForCell drops the first lines of code while they are line
// magics written as cell magics (%%time, see lineMagicForCell): below them
// is Go, or a real cell magic. It returns the rest and the bytes dropped.
func skipLineMagicsForCell(code string) (string, int) {
	skipped := 0
	for {
		trimmed := strings.TrimLeft(code, " \t\n")
		name, ok := strings.CutPrefix(trimmed, "%%")
		if !ok {
			return code, skipped
		}
		line, _, _ := strings.Cut(name, "\n")
		if !lineMagicForCell[strings.TrimSpace(line)] {
			return code, skipped
		}
		nl := strings.IndexByte(code, '\n')
		if nl < 0 {
			return "", skipped + len(code)
		}
		skipped += nl + 1
		code = code[nl+1:]
	}
}
