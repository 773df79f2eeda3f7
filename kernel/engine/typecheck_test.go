package engine

import (
	"strings"
	"sync"
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

// preload reads the export data the engine's start-up hands it, so a
// cell's type check finds those packages read: it asks for no export file
// of them again (and still counts the cell's values).
func TestValueCheckerPreloadReadsEachPackageOnce(t *testing.T) {
	b := newTestBuilder(t)
	paths := []string{"fmt", "strconv"}
	if _, err := b.importConfig(t.Context(), false, paths); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	asked := map[string]int{}
	vc := newValueChecker(func(path string) (string, bool) {
		mu.Lock()
		asked[path]++
		mu.Unlock()
		return b.exportFile(path)
	})
	vc.preload(paths)
	for _, p := range paths {
		if asked[p] != 1 {
			t.Errorf("preload asked for %s's export data %d times, want once", p, asked[p])
		}
	}
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"strconv\"\n)\n\nfunc main() {\n\tfmt.Print()\n\tstrconv.Atoi(\"12\")\n}\n"
	n, ok := vc.valueCount([]byte(src), strings.Index(src, "strconv.Atoi"))
	if !ok || n != 2 {
		t.Errorf("valueCount(strconv.Atoi) after preload = %d, %v; want 2, true", n, ok)
	}
	for _, p := range paths {
		if asked[p] != 1 {
			t.Errorf("the type check after preload asked for %s's export data again (%d times in all)", p, asked[p])
		}
	}
}
