package grade

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/notebook"
)

func TestReplaceRegions(t *testing.T) {
	tests := []struct {
		name, in, want, err string
		remove              bool
	}{
		{name: "no region", in: "a\nb", want: "a\nb"},
		{name: "stub keeps indentation", in: "func f() int {\n\t// BEGIN SOLUTION\n\treturn 1\n\t// END SOLUTION\n}", want: "func f() int {\n\t// YOUR CODE HERE\n\tpanic(\"not implemented\")\n}"},
		{name: "two regions", in: "// BEGIN SOLUTION\nx\n// END SOLUTION\nkeep\n  //BEGIN SOLUTION\ny\n  // END SOLUTION", want: "// YOUR CODE HERE\npanic(\"not implemented\")\nkeep\n  // YOUR CODE HERE\n  panic(\"not implemented\")"},
		{name: "removal", in: "a\n// BEGIN SOLUTION\nx\n// END SOLUTION\nb", want: "a\nb", remove: true},
		{name: "marker text in a string is not a marker", in: "s := \"// BEGIN SOLUTION\"", want: "s := \"// BEGIN SOLUTION\""},
		{name: "unclosed", in: "a\n// BEGIN SOLUTION\nx", err: "line 2: \"BEGIN SOLUTION\" is never closed"},
		{name: "end without begin", in: "x\n// END SOLUTION", err: "line 2: \"END SOLUTION\" without"},
		{name: "nested", in: "// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION", err: "line 2: \"BEGIN SOLUTION\" inside the region opened on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repl := stub
			if tt.remove {
				repl = nil
			}
			have, err := replaceRegions(tt.in, BeginSolution, EndSolution, repl)
			if tt.err != "" {
				var merr *MarkerError
				if !errors.As(err, &merr) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("have error %v, want a *MarkerError containing %q", err, tt.err)
				}
				return
			}
			if err != nil || have != tt.want {
				t.Errorf("have %q (%v)\nwant %q", have, err, tt.want)
			}
		})
	}
}

// assignment builds a small source notebook: a locked setup cell, a
// solution cell, a test cell with hidden tests and a written answer.
func assignment() *notebook.Notebook {
	nb := notebook.New("")
	add := func(id, typ, src string, g *notebook.NBGrader) {
		c := notebook.Cell{ID: id, Type: typ, Source: src, Metadata: map[string]any{}}
		if g != nil {
			g.SchemaVersion = 3
			c.SetNBGrader(*g)
		}
		nb.Cells = append(nb.Cells, c)
	}
	add("intro", notebook.MarkdownCell, "# Assignment", nil)
	add("setup", notebook.CodeCell, "func expect(ok bool) { if !ok { panic(\"wrong\") } }", &notebook.NBGrader{GradeID: "setup", Locked: true})
	add("answer", notebook.CodeCell, "func double(x int) int {\n\t// BEGIN SOLUTION\n\treturn 2 * x\n\t// END SOLUTION\n}", &notebook.NBGrader{GradeID: "double", Solution: true})
	add("tests", notebook.CodeCell, "expect(double(2) == 4)\n// BEGIN HIDDEN TESTS\nexpect(double(-3) == -6)\n// END HIDDEN TESTS", &notebook.NBGrader{GradeID: "test_double", Grade: true, Locked: true, Points: 2})
	add("essay", notebook.MarkdownCell, "Doubling is easy.", &notebook.NBGrader{GradeID: "essay", Grade: true, Solution: true, Points: 1})
	return nb
}

func TestRelease(t *testing.T) {
	src := assignment()
	one := 1
	src.Cells[2].ExecutionCount = &one
	src.Cells[2].Outputs = []notebook.Output{{Type: notebook.StreamOutput, Name: "stdout", Text: "solution output"}}
	student, err := Release(src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"intro":  "# Assignment",
		"setup":  src.Cells[1].Source,
		"answer": "func double(x int) int {\n\t// YOUR CODE HERE\n\tpanic(\"not implemented\")\n}",
		"tests":  "expect(double(2) == 4)",
		"essay":  AnswerStub,
	}
	for _, c := range student.Cells {
		if c.Source != want[c.ID] {
			t.Errorf("cell %s: have %q\nwant %q", c.ID, c.Source, want[c.ID])
		}
		if len(c.Outputs) != 0 || c.ExecutionCount != nil {
			t.Errorf("cell %s: outputs not cleared", c.ID)
		}
		if _, ok := c.NBGrader(); !ok && c.ID != "intro" {
			t.Errorf("cell %s lost its nbgrader metadata", c.ID)
		}
	}
	if src.Cells[2].Outputs == nil || !strings.Contains(src.Cells[3].Source, "HIDDEN") {
		t.Errorf("Release changed the source notebook")
	}
	if err := notebook.Validate(student); err != nil {
		t.Errorf("released notebook invalid: %v", err)
	}
}

func TestReleaseWholeCellSolution(t *testing.T) {
	src := assignment()
	src.Cells[2].Source = "func double(x int) int { return 2 * x }"
	student, err := Release(src)
	if err != nil {
		t.Fatal(err)
	}
	if have, want := student.Cells[2].Source, "// YOUR CODE HERE\npanic(\"not implemented\")"; have != want {
		t.Errorf("have %q, want %q", have, want)
	}
}

func TestCheckSource(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(nb *notebook.Notebook)
		want   string
	}{
		{"valid", func(*notebook.Notebook) {}, ""},
		{"duplicate grade_id", func(nb *notebook.Notebook) {
			g, _ := nb.Cells[3].NBGrader()
			g.GradeID = "double"
			nb.Cells[3].SetNBGrader(g)
		}, `grade_id "double" is also used by cell 2`},
		{"no points", func(nb *notebook.Notebook) {
			g, _ := nb.Cells[3].NBGrader()
			g.Points = 0
			nb.Cells[3].SetNBGrader(g)
		}, `graded cell "test_double" has no points`},
		{"missing grade_id", func(nb *notebook.Notebook) {
			g, _ := nb.Cells[1].NBGrader()
			g.GradeID = ""
			nb.Cells[1].SetNBGrader(g)
		}, "nbgrader metadata without grade_id"},
		{"grade_id nbgrader refuses", func(nb *notebook.Notebook) {
			g, _ := nb.Cells[3].NBGrader()
			g.GradeID = "test double"
			nb.Cells[3].SetNBGrader(g)
		}, `grade_id "test double" may only hold letters`},
		{"unclosed hidden tests", func(nb *notebook.Notebook) {
			nb.Cells[3].Source = "// BEGIN HIDDEN TESTS\nx"
		}, "never closed"},
		{"solution markers outside a solution cell", func(nb *notebook.Notebook) {
			nb.Cells[1].Source = "// BEGIN SOLUTION\nx\n// END SOLUTION"
		}, "solution markers in a cell that is not a solution cell"},
		{"nothing graded", func(nb *notebook.Notebook) { nb.Cells = nb.Cells[:3] }, "no graded cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := assignment()
			tt.break_(nb)
			err := CheckSource(nb)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("have %v, want nil", err)
				}
				return
			}
			var serr *SourceError
			if !errors.As(err, &serr) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("have %v\nwant a *SourceError containing %q", err, tt.want)
			}
			if _, err := Release(nb); err == nil {
				t.Errorf("Release accepted a broken source")
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct{ src, code, want string }{
		{
			"func f() int {\n\t// BEGIN SOLUTION\n\treturn 1\n\t// END SOLUTION\n}",
			"for {\n}",
			"func f() int {\n\tfor {\n\t}\n}",
		},
		{
			"// BEGIN SOLUTION\ntype T int\n// END SOLUTION\nfunc g() {\n    // BEGIN SOLUTION\n    x()\n    // END SOLUTION\n}",
			"panic(1)\n",
			"panic(1)\nfunc g() {\n    panic(1)\n}",
		},
		{"whole cell, no markers", "mine", "mine"},
	}
	for _, tt := range tests {
		got, err := Answer(tt.src, tt.code)
		if err != nil || got != tt.want {
			t.Errorf("Answer(%q, %q) = %q, %v; want %q", tt.src, tt.code, got, err, tt.want)
		}
	}
	if _, err := Answer("// BEGIN SOLUTION\nx", "y"); err == nil {
		t.Error("Answer accepted a region that is never closed")
	}
}
