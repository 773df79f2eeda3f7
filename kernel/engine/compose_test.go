package engine

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/compose")

// TestComposeGolden composes testdata/compose/NAME.input (a txtar archive of
// cells "1", "2", ... run in order; the program is the last cell's) and
// compares it with NAME.golden.
func TestComposeGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/compose/*.input")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(in)
			if err != nil {
				t.Fatal(err)
			}
			ds := &declSet{}
			var prog program
			for _, f := range ar.Files {
				count, err := strconv.Atoi(f.Name)
				if err != nil {
					t.Fatalf("cell name %q: %v", f.Name, err)
				}
				sc, err := split(string(f.Data), settings{})
				if err != nil {
					t.Fatal(err)
				}
				pc, err := parse(sc.Code)
				if err != nil {
					t.Fatal(err)
				}
				ds.merge(pc, count)
				prog = compose(composition{Decls: ds, Cell: pc, Count: count, Imports: ds.Imports, ShowTrailing: true})
			}
			golden := filepath.Join("testdata/compose", name+".golden")
			if *update {
				if err := os.WriteFile(golden, prog.Source, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(prog.Source, want) {
				t.Errorf("have:\n%s\nwant:\n%s", prog.Source, want)
			}
		})
	}
}

// TestComposeLinePositions builds composed programs with errors and checks
// that the compiler reports the cell positions the directives promise.
func TestComposeLinePositions(t *testing.T) {
	b := newTestBuilder(t)
	tests := []struct {
		name  string
		cells []string
		want  string // "cellN.go:L:C: msg" prefix of the first diagnostic
	}{
		{name: "statement", cells: []string{"x := 1\n\t fmt.Println(y)\n_ = x"}, want: "cell1.go:2:15: undefined: y"},
		{name: "decl in earlier cell", cells: []string{"func F() int {\n\treturn 1\n}", "\n\nvar v string = F()"}, want: "cell2.go:3:16: cannot use F()"},
		{name: "grouped var spec", cells: []string{"var (\n\ta = 1\n\tb string = a\n)"}, want: "cell1.go:3:13: cannot use a"},
		{name: "trailing expression", cells: []string{"x := 1\n  x + \"s\""}, want: "cell1.go:2:3: invalid operation: x + \"s\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := &declSet{}
			var prog program
			for i, c := range tt.cells {
				pc, err := parse(c)
				if err != nil {
					t.Fatal(err)
				}
				ds.merge(pc, i+1)
				prog = compose(composition{Decls: ds, Cell: pc, Count: i + 1, Imports: []importSpec{{Path: "fmt"}}, ShowTrailing: true})
			}
			_, err := b.build(t.Context(), buildRequest{Source: prog.Source, Imports: []string{"fmt", cellrtImportPath}})
			be, ok := err.(*BuildError)
			if !ok || len(be.Diagnostics) == 0 {
				t.Fatalf("have %v, want a build error", err)
			}
			d := be.Diagnostics[0]
			if have := d.File + ":" + strconv.Itoa(d.Line) + ":" + strconv.Itoa(d.Col) + ": " + d.Msg; !strings.HasPrefix(have, tt.want) {
				t.Errorf("have %q, want prefix %q\nprogram:\n%s", have, tt.want, prog.Source)
			}
		})
	}
}
