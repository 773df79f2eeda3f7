package engine

import (
	"strings"
	"testing"
)

// The regressions QA found in cells as users write them; each table runs
// its cells in order on one engine.

// regressStep is one cell of a regression table.
type regressStep struct {
	name      string
	code      string
	stdout    string
	result    string
	errPrefix string // evalue prefix when the cell must fail
	notInErr  string // text the error's traceback must not hold
}

func runRegressSteps(t *testing.T, steps []regressStep) {
	t.Helper()
	e := newTestEngine(t)
	for i, st := range steps {
		got := execCell(t, e, i+1, st.code)
		t.Run(st.name, func(t *testing.T) {
			if st.errPrefix != "" {
				if got.Err == nil || !strings.HasPrefix(got.Err.Value, st.errPrefix) {
					t.Fatalf("error: have %+v, want evalue starting %q", got.Err, st.errPrefix)
				}
				if tb := strings.Join(got.Err.Traceback, "\n"); st.notInErr != "" && strings.Contains(tb, st.notInErr) {
					t.Errorf("traceback: have %q in\n%s\nwant it absent", st.notInErr, tb)
				}
				return
			}
			if got.Err != nil {
				t.Fatalf("have error %v", got.Err)
			}
			if got.Stdout != st.stdout || got.Result != st.result {
				t.Errorf("have stdout %q result %q, want %q %q", got.Stdout, got.Result, st.stdout, st.result)
			}
		})
	}
}

// TestMisspeltStdMember (QA E1): a misspelt member of a standard package
// is reported as that member, on its own line.
func TestMisspeltStdMember(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "fmt.Printn", code: "fmt.Println(\"a\")\nfmt.Println(\"b\")\nfmt.Printn(\"c\")",
			errPrefix: "cell [1] line 3: undefined: fmt.Printn", notInErr: "undefined: fmt\n"},
		{name: "rand.Intnn next to rand.Intn", code: "a := rand.Intn(3)\nb := rand.Intnn(3)\nfmt.Println(a, b)",
			errPrefix: "cell [2] line 2: undefined: rand.Intnn"},
		{name: "the next cell is fine", code: "fmt.Println(strings.ToUpper(\"ok\"))", stdout: "OK\n"},
	})
}

// TestImportAnywhereInCell (QA E6): an import line after a declaration or
// a statement is hoisted, and errors keep their cell lines.
func TestImportAnywhereInCell(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "after a declaration", code: "type Name string\nimport \"strings\"\nstrings.ToUpper(string(Name(\"go\")))", result: `"GO"`},
		{name: "after a statement", code: "n := 2\nimport \"strings\"\nfmt.Println(strings.Repeat(\"ab\", n))", stdout: "abab\n"},
		{name: "error line after a hoisted import", code: "n := 2\nimport \"strings\"\n\nfmt.Println(strings.Repeat(\"ab\", m))",
			errPrefix: "cell [3] line 4: undefined: m"},
		{name: "a hoisted import is remembered", code: "strings.ToLower(\"OK\")", result: `"ok"`},
	})
}

// TestTrailingCallWithSeveralResults (QA E2): a trailing call with two or
// more results shows them all, like a tuple; output calls still show
// nothing.
func TestTrailingCallWithSeveralResults(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "strconv.Atoi", code: `strconv.Atoi("12")`, result: "(12, <nil>)"},
		{name: "an error among the results", code: `strconv.Atoi("x")`, result: `(0, strconv.Atoi: parsing "x": invalid syntax)`},
		{name: "a user func returning (int, error)", code: "func Count(s string) (int, error) { return len(s), nil }\nCount(\"abc\")", result: "(3, <nil>)"},
		{name: "three results, a string quoted", code: "func Three() (int, string, bool) { return 1, \"a\", true }\nThree()", result: `(1, "a", true)`},
		{name: "Println shows only its output", code: `fmt.Println("x")`, stdout: "x\n"},
		{name: "one result is still plain", code: `strings.ToUpper("x")`, result: `"X"`},
	})
}

// TestRememberedVarRunsOnlyWhereUsed (QA E3, issue 12): a remembered var
// whose initializer prints runs in its own cell only: later cells that use it
// start from its kept value.
func TestRememberedVarRunsOnlyWhereUsed(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "declared", code: "func loadData() []int {\n\tfmt.Println(\"loading\")\n\treturn []int{1, 2, 3}\n}\nvar data = loadData()", stdout: "loading\n"},
		{name: "a cell that does not use data", code: `fmt.Println("other")`, stdout: "other\n"},
		{name: "a cell that uses data", code: "len(data)", result: "3"},
		{name: "a declaration that uses data", code: "func Total() int { s := 0; for _, v := range data { s += v }; return s }\nfmt.Println(\"declared\")", stdout: "declared\n"},
		{name: "a cell that uses that declaration", code: "data = append(data, 4)\nTotal()", result: "10"},
		{name: "the change is kept", code: "data", result: "[1 2 3 4]"},
		{name: "an init func", code: `func init() { fmt.Println("init") }`, stdout: "init\n"},
		// An init runs once, in its own cell, as a program's init runs once (issue 19).
		{name: "init does not run again in a later cell", code: `fmt.Println("later")`, stdout: "later\n"},
	})
}

// TestCellRunsAsGoRun (issue 19): a cell's program behaves as `go run` of
// the same program: deferred output is printed, main() in a later cell calls
// the pasted program's main, init runs once.
func TestCellRunsAsGoRun(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "defers run before the output closes, last first",
			code: "defer fmt.Println(\"world\")\ndefer fmt.Print(\"dear \")\nfmt.Println(\"hello\")", stdout: "hello\ndear world\n"},
		{name: "a recovered panic prints what the deferred func prints",
			code: "defer func() { fmt.Println(\"recovered:\", recover()) }()\npanic(\"boom\")", stdout: "recovered: boom\n"},
		{name: "a pasted program with init and main",
			code:   "package main\n\nimport \"fmt\"\n\nfunc init() { fmt.Println(\"init\") }\n\nfunc main() {\n\tdefer fmt.Println(\"bye\")\n\tfmt.Println(\"main\")\n}\n",
			stdout: "init\nmain\nbye\n"},
		{name: "main() in a later cell runs the pasted main, init does not run again",
			code: "main()", stdout: "main\nbye\n"},
		{name: "a func declared later may call main", code: "func twice() { main(); main() }\ntwice()",
			stdout: "main\nbye\nmain\nbye\n"},
		{name: "main() in a later cell, no recursion through the generated entry point",
			code: "fmt.Println(\"before\")\nmain()\nfmt.Println(\"after\")", stdout: "before\nmain\nbye\nafter\n"},
	})
}

// TestMainUndeclaredIsAnError: main() with no func main declared is a clear
// compile error naming main, never a call of the generated entry point.
func TestMainUndeclaredIsAnError(t *testing.T) {
	e := newTestEngine(t)
	got := execCell(t, e, 1, "main()")
	if got.Err == nil || !strings.Contains(got.Err.Value, "undefined: main") {
		t.Fatalf("have %+v, want a compile error saying undefined: main", got.Err)
	}
	if strings.Contains(strings.Join(got.Err.Traceback, "\n"), "_gokernel") {
		t.Errorf("traceback names generated code:\n%s", strings.Join(got.Err.Traceback, "\n"))
	}
}
