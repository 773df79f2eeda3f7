package engine

import (
	"context"
	"testing"
	"unicode/utf8"
)

func TestCompletionTypes(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "var counter int\ntype Point struct{ X int }\nfunc Greet() {}\nfunc (p Point) Norm() int { return p.X }\nvar mu sync.Mutex\nvar pt Point")
	tests := []struct {
		code string
		want map[string]string // match -> type
	}{
		{"fmt.Pri", map[string]string{"Print": "function", "Printf": "function", "Println": "function"}},
		{"sync.Mu", map[string]string{"Mutex": "class"}},
		{"time.Seco", map[string]string{"Second": "statement"}},
		{"Gre", map[string]string{"Greet": "function"}},
		{"Poi", map[string]string{"Point": "class"}},
		{"count", map[string]string{"counter": "statement"}},
		{"fu", map[string]string{"func": "keyword"}},
		{"x := le", map[string]string{"len": "function"}},
		{"var s stri", map[string]string{"string": "class", "strings": "module"}},
		// A value's methods are functions, its fields instances (what JupyterLab's
		// completer shows after "mu.").
		{"mu.", map[string]string{"Lock": "function", "Unlock": "function", "TryLock": "function"}},
		{"pt.", map[string]string{"Norm": "function", "X": "instance"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			n := utf8.RuneCountInString(tt.code)
			c := e.Complete(context.Background(), tt.code, n)
			items, _ := c.Metadata[completionTypesKey].([]map[string]any)
			if len(items) != len(c.Matches) {
				t.Fatalf("have %d typed items for %d matches", len(items), len(c.Matches))
			}
			have := map[string]string{}
			for _, it := range items {
				if it["start"] != c.CursorStart || it["end"] != c.CursorEnd {
					t.Errorf("item %v: want start %d end %d", it, c.CursorStart, c.CursorEnd)
				}
				have[it["text"].(string)] = it["type"].(string)
			}
			for m, want := range tt.want {
				if have[m] != want {
					t.Errorf("%s: have type %q, want %q (all: %v)", m, have[m], want, have)
				}
			}
		})
	}
}
