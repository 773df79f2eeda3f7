package engine

import (
	"slices"
	"strings"
	"testing"
)

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
				"                   ^"},
		},
		{
			name:  "earlier cell keeps its tab",
			diags: []Diagnostic{{File: "cell2.go", Line: 2, Col: 9, Msg: "cannot use \"s\" (untyped string constant) as int value in return statement"}},
			value: "cell [2] line 2: cannot use \"s\" (untyped string constant) as int value in return statement",
			traceback: []string{"cell [2] line 2: cannot use \"s\" (untyped string constant) as int value in return statement",
				"    \treturn \"s\"",
				"    \t       ^"},
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
			traceback: []string{"cell [1] line 4: undefined: q"},
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

func TestCompileErrorReportWithoutPositions(t *testing.T) {
	e := compileErrorReport(nil, 1, func(int) string { return "" }, "link: out of memory\n")
	if e.Value != "link: out of memory" {
		t.Errorf("have %q, want the tool output", e.Value)
	}
}
