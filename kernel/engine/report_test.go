package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// earlierHint is the hint for an error in earlier cell n, as wrapped.
func earlierHint(n int) []string {
	return wrapHint(fmt.Sprintf("hint: cell [%d] holds remembered declarations that this cell's changes break: define them again "+
		"in this cell to match, or forget them with %%reset NAME (%%who lists them)", n))
}

func TestNearestIdent(t *testing.T) {
	text := "func greet(name string) string { return \"hi \" + nme }\nfunc helper() int { return 1 }\nx := 1"
	tests := []struct{ name, want string }{
		{"nme", "name"},     // one letter dropped
		{"helpr", "helper"}, // within two edits of a longer name
		{"hlpr", ""},        // short names get one edit only
		{"zzz", ""},         // nothing near
		{"y", ""},           // one-letter names are not suggested (x)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if have := nearestIdent(tt.name, text); have != tt.want {
				t.Errorf("have %q, want %q", have, tt.want)
			}
		})
	}
}

func TestWrapHint(t *testing.T) {
	long := "hint: " + strings.Repeat("word ", 40)
	tests := []struct {
		name string
		hint string
		want []string
	}{
		{"short stays one line", "hint: a b", []string{"hint: a b"}},
		{"long wraps at spaces, indented", long, []string{
			"hint: " + strings.Repeat("word ", 16) + "word",
			"      " + strings.Repeat("word ", 16) + "word",
			"      " + strings.TrimSpace(strings.Repeat("word ", 6)),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if have := wrapHint(tt.hint); !slices.Equal(have, tt.want) {
				t.Errorf("have %q, want %q", have, tt.want)
			}
		})
	}
}

func TestCompileErrorReport(t *testing.T) {
	sources := map[int]string{
		2: "func F() int {\n\treturn \"s\"\n}",
		3: "x := 1\nfmt.Println(x, y)",
	}
	lookup := func(n int) string { return sources[n] }
	tests := []struct {
		name      string
		diags     []Diagnostic
		value     string
		traceback []string
	}{
		{
			name:  "current cell with caret",
			diags: []Diagnostic{{File: "cell3.go", Line: 2, Col: 16, Msg: "undefined: y"}},
			value: "cell [3] line 2: undefined: y",
			traceback: []string{"cell [3] line 2: undefined: y",
				"    fmt.Println(x, y)",
				"                   ^"}, // nothing ever declared y: no hint (issue 19)
		},
		{
			name:  "earlier cell keeps its tab",
			diags: []Diagnostic{{File: "cell2.go", Line: 2, Col: 9, Msg: "cannot use \"s\" (untyped string constant) as int value in return statement"}},
			value: "cell [2] line 2: cannot use \"s\" (untyped string constant) as int value in return statement",
			traceback: []string{"cell [2] line 2: cannot use \"s\" (untyped string constant) as int value in return statement",
				"    \treturn \"s\"",
				"    \t       ^",
				earlierHint(2)[0], earlierHint(2)[1]},
		},
		{
			name:      "syntax error of the current cell (no file)",
			diags:     []Diagnostic{{Line: 1, Col: 1, Msg: "expected operand"}},
			value:     "cell [3] line 1: expected operand",
			traceback: []string{"cell [3] line 1: expected operand", "    x := 1", "    ^"},
		},
		{
			name:      "generated code never shows generated names",
			diags:     []Diagnostic{{File: "gokernel.go", Line: 3, Col: 2, Msg: "too many arguments in call to _gokernel_cellrt.Result"}},
			value:     "in the code that runs the cell: too many arguments in call to Result",
			traceback: []string{"in the code that runs the cell: too many arguments in call to Result"},
		},
		{
			name:      "forgotten cell: no source line",
			diags:     []Diagnostic{{File: "cell1.go", Line: 4, Col: 2, Msg: "undefined: q"}},
			value:     "cell [1] line 4: undefined: q",
			traceback: append([]string{"cell [1] line 4: undefined: q"}, earlierHint(1)...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compileErrorReport(tt.diags, 3, lookup, "")
			if e.Name != "CompileError" || e.Value != tt.value || !slices.Equal(e.Traceback, tt.traceback) {
				t.Errorf("have %s %q\n%q\nwant CompileError %q\n%q", e.Name, e.Value, e.Traceback, tt.value, tt.traceback)
			}
			if strings.Contains(e.Error(), "_gokernel") {
				t.Errorf("error shows a generated name: %s", e.Error())
			}
		})
	}
}

// TestCompileErrorReportHints checks the notes added for notebook
// pitfalls: a := variable of an earlier cell, and the parser's follow-on
// errors after an unterminated literal.
func TestCompileErrorReportHints(t *testing.T) {
	source := func(n int) string {
		if n == 1 {
			return "func Fund() {}" // a remembered earlier cell
		}
		if n != 3 {
			return ""
		}
		return "fmt.Println(\"unterminated)\nx + y\ncfg.Load(\"a\")\ncfg.Load(\"b\")\ncfg.Lod(\"c\")\ntwice (5)"
	}
	tests := []struct {
		name         string
		diags        []Diagnostic
		wantHint     string // "" when no hint line is wanted
		wantHeads    int    // headline lines ("cell [...") kept
		notInReport  string
		wantInReport string
	}{
		{
			name:         "undefined plain names get one hint naming them",
			diags:        []Diagnostic{{File: "cell3.go", Line: 2, Col: 1, Msg: "undefined: x"}, {File: "cell3.go", Line: 2, Col: 5, Msg: "undefined: y"}, {File: "cell3.go", Line: 2, Col: 5, Msg: "undefined: y"}},
			wantHint:     "hint: x (chan int) of cell [2] did not carry over: a channel lives in one program",
			wantHeads:    2,
			notInReport:  "hint: y",
			wantInReport: "cell [3] line 2: undefined: y\n",
		},
		{
			name: "an undeclared name used as NAME.Member: one headline with the other lines, the import hint",
			diags: []Diagnostic{{File: "cell3.go", Line: 3, Col: 1, Msg: "undefined: cfg"},
				{File: "cell3.go", Line: 4, Col: 1, Msg: "undefined: cfg"}, {File: "cell3.go", Line: 5, Col: 1, Msg: "undefined: cfg"}},
			wantHint:     "hint: nothing declares cfg and no standard package is called cfg: a package outside the standard library needs its import line",
			wantHeads:    1,
			wantInReport: "cell [3] line 3: undefined: cfg (also lines 4, 5)",
		},
		{
			name:      "an error in an earlier cell: the remembered declarations hint",
			diags:     []Diagnostic{{File: "cell2.go", Line: 1, Col: 40, Msg: "s.W undefined (type Shape has no field or method W)"}},
			wantHint:  "hint: cell [2] holds remembered declarations that this cell's changes break",
			wantHeads: 1,
		},
		{
			name:         "an undefined function: the run-the-cell hint",
			diags:        []Diagnostic{{File: "cell3.go", Line: 2, Col: 1, Msg: "undefined: x"}, {File: "cell3.go", Line: 6, Col: 1, Msg: "undefined: twice"}},
			wantHint:     "hint: no cell run since the kernel started declares twice (a cell that fails to compile declares nothing): check the spelling, or run the cell that declares it",
			wantHeads:    2,
			wantInReport: "hint: x (chan int) of cell [2] did not carry over",
		},
		{
			name:        "a misspelling of a name the cell uses: did you mean",
			diags:       []Diagnostic{{File: "cell3.go", Line: 5, Col: 1, Msg: "undefined: Printlm"}},
			wantHint:    "hint: Printlm is not declared; did you mean Println?",
			wantHeads:   1,
			notInReport: ":= lives only",
		},
		{
			name:      "a misspelling of a name an earlier cell declares",
			diags:     []Diagnostic{{File: "cell3.go", Line: 2, Col: 1, Msg: "undefined: Fun"}},
			wantHint:  "hint: Fun is not declared; did you mean Fund?",
			wantHeads: 1,
		},
		{
			name:        "a name no cell ever declared: no hint",
			diags:       []Diagnostic{{File: "cell3.go", Line: 2, Col: 5, Msg: "undefined: y"}},
			wantHeads:   1,
			notInReport: "hint:",
		},
		{
			name:        "undefined package member: no hint",
			diags:       []Diagnostic{{File: "cell3.go", Line: 1, Col: 5, Msg: "undefined: fmt.Printn"}},
			wantHeads:   1,
			notInReport: "hint:",
		},
		{
			name:      "other errors: no hint",
			diags:     []Diagnostic{{File: "cell3.go", Line: 1, Col: 5, Msg: "declared and not used: v"}},
			wantHeads: 1,
		},
		{
			name:        "unterminated string: the wrapper's brace is not reported",
			diags:       []Diagnostic{{Line: 1, Col: 13, Msg: "string literal not terminated"}, {Line: 1, Col: 27, Msg: "expected operand, found '}'"}},
			wantHeads:   1,
			notInReport: "found '}'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost := func(name string) (string, int, string, bool) {
				if name == "x" {
					return "chan int", 2, "a channel lives in one program; make it in the cell that uses it", true
				}
				return "", 0, "", false
			}
			e := compileErrorReportLost(tt.diags, 3, source, "", lost)
			report := strings.ReplaceAll(strings.Join(e.Traceback, "\n"), "\n      ", " ") // hints unwrapped
			heads := 0
			var hint string
			for _, line := range e.Traceback {
				if len(line) > hintWidth {
					t.Errorf("line longer than %d: %q", hintWidth, line)
				}
				if strings.HasPrefix(line, "cell [") {
					heads++
				}
				if strings.HasPrefix(line, "hint:") {
					hint = line
				} else if hint != "" && strings.HasPrefix(line, "      ") {
					hint += " " + strings.TrimSpace(line) // a wrapped hint's next line
				}
			}
			if heads != tt.wantHeads {
				t.Errorf("have %d headlines, want %d:\n%s", heads, tt.wantHeads, report)
			}
			if tt.wantHint == "" && hint != "" {
				t.Errorf("have hint %q, want none", hint)
			}
			if tt.wantHint != "" && !strings.HasPrefix(hint, tt.wantHint) {
				t.Errorf("have hint %q, want it to start %q", hint, tt.wantHint)
			}
			if tt.wantInReport != "" && !strings.Contains(report, tt.wantInReport) {
				t.Errorf("report lacks %q:\n%s", tt.wantInReport, report)
			}
			if tt.notInReport != "" && strings.Contains(report, tt.notInReport) {
				t.Errorf("report contains %q:\n%s", tt.notInReport, report)
			}
		})
	}
}

func TestCompileErrorReportWithoutPositions(t *testing.T) {
	e := compileErrorReport(nil, 1, func(int) string { return "" }, "link: out of memory\n")
	if e.Value != "link: out of memory" {
		t.Errorf("have %q, want the tool output", e.Value)
	}
}
