package engine

import (
	"testing"
)

func TestValueCount(t *testing.T) {
	b := newTestBuilder(t)
	if _, err := b.importConfig(t.Context(), false, []string{"fmt", "sync", "strings", "strconv"}); err != nil {
		t.Fatal(err)
	}
	vc := newValueChecker(b.exportFile)
	tests := []struct {
		name string
		cell string
		want int
	}{
		{name: "no results", cell: "var wg sync.WaitGroup\nwg.Wait()", want: 0},
		{name: "output call shows nothing", cell: `fmt.Println("x")`, want: 0},
		{name: "output method shows nothing", cell: "var b strings.Builder\nb.WriteString(\"x\")", want: 0},
		{name: "scanning shows nothing", cell: "var n int\nfmt.Sscan(\"4\", &n)", want: 0},
		{name: "a user Copy returning (int, error) shows nothing", cell: "func CopyAll() (int, error) { return 3, nil }\nCopyAll()", want: 0},
		{name: "two results", cell: `strconv.Atoi("12")`, want: 2},
		{name: "user func with (int, error)", cell: "func Count() (int, error) { return 3, nil }\nCount()", want: 2},
		{name: "three results", cell: "func Three() (int, string, bool) { return 1, \"\", true }\nThree()", want: 3},
		{name: "one result", cell: `strings.ToUpper("x")`, want: 1},
		{name: "user func", cell: "func F() (int, string) { return 1, \"\" }\nfunc G() float64 { return 1 }\nG()", want: 1},
		{name: "conversion", cell: "float64(3)", want: 1},
		{name: "method value call", cell: "var b strings.Builder\nb.Len()", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, err := parse(tt.cell)
			if err != nil {
				t.Fatal(err)
			}
			ds := &declSet{}
			ds.merge(pc, 1)
			prog := compose(composition{Decls: ds, Cell: pc, Count: 1,
				Imports: []importSpec{{Path: "fmt"}, {Path: "sync"}, {Path: "strings"}, {Path: "strconv"}}})
			n, ok := vc.valueCount(prog.Source, prog.TrailingOffset)
			if !ok || n != tt.want {
				t.Errorf("have %d (ok %v), want %d", n, ok, tt.want)
			}
		})
	}
}
