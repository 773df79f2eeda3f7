package grade

import (
	"fmt"
	"strings"
)

// The region markers, in Go comment form (nbgrader's markers after "//").
const (
	BeginSolution    = "BEGIN SOLUTION"
	EndSolution      = "END SOLUTION"
	BeginHiddenTests = "BEGIN HIDDEN TESTS"
	EndHiddenTests   = "END HIDDEN TESTS"
)

// The stub a released solution region becomes: it compiles wherever a
// statement may stand and fails clearly when run.
const (
	StubComment   = "// YOUR CODE HERE"
	StubStatement = `panic("not implemented")`
	// AnswerStub replaces a written (markdown) answer, as in nbgrader.
	AnswerStub = "YOUR ANSWER HERE"
)

// MarkerError is a malformed region: a BEGIN without its END, an END
// without a BEGIN, or a nested BEGIN.
type MarkerError struct {
	Line int    // 1-based line of the cell
	Msg  string // what is wrong
}

func (e *MarkerError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// markerOf returns the marker a line holds ("BEGIN SOLUTION" …) or "".
// A marker line is a Go line comment whose text is exactly the marker,
// e.g. "    // BEGIN SOLUTION".
func markerOf(line string) string {
	text, ok := strings.CutPrefix(strings.TrimSpace(line), "//")
	if !ok {
		return ""
	}
	switch m := strings.TrimSpace(text); m {
	case BeginSolution, EndSolution, BeginHiddenTests, EndHiddenTests:
		return m
	}
	return ""
}

// hasMarker reports whether src contains any line with begin.
func hasMarker(src, begin string) bool {
	for _, line := range strings.Split(src, "\n") {
		if markerOf(line) == begin {
			return true
		}
	}
	return false
}

// replaceRegions rewrites every region between begin and end in src: the
// lines from the BEGIN line to the END line, both included, become
// replacement(indent), where indent is the BEGIN line's indentation. A nil
// replacement removes the region.
func replaceRegions(src, begin, end string, replacement func(indent string) []string) (string, error) {
	lines := strings.Split(src, "\n")
	var out []string
	inside, beganAt := false, 0
	for i, line := range lines {
		switch markerOf(line) {
		case begin:
			if inside {
				return "", &MarkerError{Line: i + 1, Msg: fmt.Sprintf("%q inside the region opened on line %d", begin, beganAt)}
			}
			inside, beganAt = true, i+1
			if replacement != nil {
				indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
				out = append(out, replacement(indent)...)
			}
		case end:
			if !inside {
				return "", &MarkerError{Line: i + 1, Msg: fmt.Sprintf("%q without %q", end, begin)}
			}
			inside = false
		default:
			if !inside {
				out = append(out, line)
			}
		}
	}
	if inside {
		return "", &MarkerError{Line: beganAt, Msg: fmt.Sprintf("%q is never closed by %q", begin, end)}
	}
	return strings.Join(out, "\n"), nil
}

// stub is the code a solution region becomes.
func stub(indent string) []string {
	return []string{indent + StubComment, indent + StubStatement}
}

// Answer is what a student does to a solution cell: every solution region of
// src (markers included) is replaced by code, indented like the region's
// BEGIN line. A cell without solution markers is replaced whole.
func Answer(src, code string) (string, error) {
	if !hasMarker(src, BeginSolution) {
		return code, nil
	}
	return replaceRegions(src, BeginSolution, EndSolution, func(indent string) []string {
		lines := strings.Split(strings.TrimRight(code, "\n"), "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = indent + l
			}
		}
		return lines
	})
}
