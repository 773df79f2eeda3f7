package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		imports  []string // paths
		decls    []string // kind:key
		stmts    []string // texts of statement runs (trimmed)
		trailing string   // text of the trailing expression
		call     bool
		defined  []string
	}{
		{name: "statement", code: `fmt.Println("hi")`, trailing: `fmt.Println("hi")`, call: true},
		{name: "value", code: "6*7", trailing: "6*7"},
		{name: "func then call", code: "func F() int { return 1 }\nF()",
			decls: []string{"func:F"}, trailing: "F()", call: true},
		{name: "mixed order", code: "x := 1\nfunc F() {}\ny := x\ntype T int\nF()",
			decls: []string{"func:F", "type:T"}, stmts: []string{"x := 1", "y := x"}, trailing: "F()", call: true, defined: []string{"x", "y"}},
		{name: "method", code: "type T struct{}\nfunc (t *T) M() {}", decls: []string{"type:T", "method:T.M"}},
		{name: "generic method", code: "func (s *Set[K]) Add(k K) {}", decls: []string{"method:Set.Add"}},
		{name: "func literal statement", code: "func() { fmt.Println(1) }()", trailing: "func() { fmt.Println(1) }()", call: true},
		{name: "func literal with result", code: "x := func(a int) int { return a }(2)", stmts: []string{"x := func(a int) int { return a }(2)"}, defined: []string{"x"}},
		{name: "imports", code: "import \"fmt\"\nimport (\n\tr \"math/rand\"\n\t\"os\"\n)\nfmt.Println(r.Int(), os.Args)",
			imports: []string{"fmt", "math/rand", "os"}, trailing: "fmt.Println(r.Int(), os.Args)", call: true},
		{name: "var group split", code: "var (\n\ta = 1\n\tb, c = 2, 3\n)", decls: []string{"var:a", "var:b"}},
		{name: "const group whole", code: "const (\n\tA = iota\n\tB\n)", decls: []string{"const:A"}},
		{name: "receive is not a value", code: "<-done", stmts: []string{"<-done"}},
		{name: "println builtin is not a value", code: "println(1)", stmts: []string{"println(1)"}},
		{name: "decl after expression: no trailing", code: "6*7\nfunc F() {}", decls: []string{"func:F"}, stmts: []string{"6*7"}},
		{name: "nb use", code: "nb.HTML(\"<b>x</b>\")", trailing: "nb.HTML(\"<b>x</b>\")", call: true},
		{name: "local nb is not the package", code: "nb := T{}\nnb.X()", stmts: []string{"nb := T{}"}, trailing: "nb.X()", call: true, defined: []string{"nb"}},
		{name: "package clause dropped", code: "package main\n\nfunc main() {}", decls: []string{"func:main"}},
		{name: "comment kept as doc", code: "// F does it.\nfunc F() {}", decls: []string{"func:F"}},
		// QA E6: an import line anywhere at the top level of a cell is hoisted.
		{name: "import after a declaration", code: "type T int\nimport \"strings\"\nstrings.ToUpper(\"x\")",
			imports: []string{"strings"}, decls: []string{"type:T"}, trailing: "strings.ToUpper(\"x\")", call: true},
		{name: "import after a statement", code: "x := 1\nimport \"strings\"\nfmt.Println(x, strings.ToUpper(\"x\"))",
			imports: []string{"strings"}, stmts: []string{"x := 1"}, trailing: "fmt.Println(x, strings.ToUpper(\"x\"))", call: true, defined: []string{"x"}},
		{name: "imports between declarations and statements", code: "import \"fmt\"\nfunc F() {}\nimport (\n\t\"os\"\n)\nF()\nimport \"strings\"",
			imports: []string{"fmt", "os", "strings"}, decls: []string{"func:F"}, trailing: "F()", call: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, err := parse(tt.code)
			if err != nil {
				t.Fatalf("have error %v", err)
			}
			var imports, decls, stmts []string
			for _, i := range pc.Imports {
				imports = append(imports, i.Path)
			}
			for _, d := range pc.Decls {
				decls = append(decls, d.Kind+":"+d.key())
			}
			for _, s := range pc.Stmts {
				stmts = append(stmts, strings.TrimSpace(s.Text))
			}
			trailing := ""
			if pc.Trailing != nil {
				trailing = pc.Trailing.Text
			}
			if !slices.Equal(imports, tt.imports) || !slices.Equal(decls, tt.decls) || !slices.Equal(stmts, tt.stmts) {
				t.Errorf("have imports %q decls %q stmts %q\nwant imports %q decls %q stmts %q", imports, decls, stmts, tt.imports, tt.decls, tt.stmts)
			}
			if trailing != tt.trailing || pc.TrailingCall != tt.call {
				t.Errorf("trailing: have %q (call %v), want %q (call %v)", trailing, pc.TrailingCall, tt.trailing, tt.call)
			}
			if !slices.Equal(pc.Defined, tt.defined) {
				t.Errorf("defined: have %q, want %q", pc.Defined, tt.defined)
			}
		})
	}
}

func TestParseKeepsPositions(t *testing.T) {
	code := "x := 1\n\n// Doc of F.\nfunc F() int {\n\treturn x\n}\n  y := F()\n\ty"
	pc, err := parse(code)
	if err != nil {
		t.Fatal(err)
	}
	f := pc.Decls[0]
	if f.Text.Line != 4 || f.Text.Col != 1 || !strings.HasPrefix(f.Text.Text, "func F()") || f.Doc != "Doc of F.\n" {
		t.Errorf("F: have %+v doc %q, want line 4 col 1, doc %q", f.Text, f.Doc, "Doc of F.\n")
	}
	if s := pc.Stmts[1]; s.Line != 7 || s.Col != 3 {
		t.Errorf("second statement run: have line %d col %d, want 7 3", s.Line, s.Col)
	}
	if tr := pc.Trailing; tr == nil || tr.Line != 8 || tr.Col != 2 || tr.Text != "y" {
		t.Errorf("trailing: have %+v, want y at 8:2", tr)
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name string
		code string
		line int
		msg  string
	}{
		{name: "statement", code: "x := 1\ny := )", line: 2, msg: "expected operand"},
		{name: "declaration", code: "x := 1\n\nfunc F( {}", line: 3, msg: "expected"},
		{name: "unclosed", code: "for {\n", line: 2, msg: "expected '}'"},
		{name: "bad import after a statement", code: "x := 1\nimport \"strings\"\n\nimport 5", line: 4, msg: "import path"},
		{name: "statement error after a hoisted import", code: "type T int\nimport \"strings\"\ny := )", line: 3, msg: "expected operand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.code)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("have %v, want a *SyntaxError", err)
			}
			d := se.Diagnostics[0]
			if d.Line != tt.line || !strings.Contains(d.Msg, tt.msg) {
				t.Errorf("have line %d %q, want line %d containing %q", d.Line, d.Msg, tt.line, tt.msg)
			}
		})
	}
}

// FuzzParse checks that splitting and parsing never panic and that what they
// keep of a cell has the cell's line count (positions stay the cell's).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"fmt.Println(1)", "func F() {}\nF()", "%race\nx := 1", "%%bash\necho", "type T struct{}\nfunc (t *T) M() {}",
		"import \"fmt\"\nvar (\n\ta = 1\n)\nconst (\n\tB = iota\n)", "s := `\n%d\n`", "func() {}()", "package main\nfunc main() {}",
		"for {", "}", "x := )", "/* x", "\"unterminated", "func (", "L:\n", "<-ch", "6*7",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		done := make(chan bool)
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				panic(fmt.Sprintf("hang on %q", code))
			}
		}()
		sc, err := split(code, settings{})
		if err != nil {
			return
		}
		if have, want := strings.Count(sc.Code, "\n"), strings.Count(code, "\n"); have != want {
			t.Fatalf("split changed the line count: have %d, want %d", have, want)
		}
		pc, err := parse(sc.Code)
		if err != nil {
			return
		}
		ds := &declSet{}
		ds.merge(pc, 1)
		prog := compose(composition{Decls: &declSet{Decls: ds.reachable(pc, 1)}, Cell: pc, Count: 1, ShowTrailing: true})
		if len(prog.Source) == 0 {
			t.Fatal("empty program")
		}
	})
}
