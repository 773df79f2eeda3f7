package engine

import (
	"context"
	"fmt"
	"testing"
	"unicode/utf8"
)

// BenchmarkComplete measures complete_request and inspect_request answers
// once warm (issue target: ≤ 50 ms each). Run with
// go test -run '^$' -bench 'Complete|Inspect' ./kernel/engine.
func BenchmarkComplete(b *testing.B) {
	e := newTestEngine(b)
	execCell(b, e, 1, "var mu sync.Mutex\nvar wg sync.WaitGroup\n// Greet says hello.\nfunc Greet(name string) string { return \"hi \" + name }")
	cases := []struct{ name, code string }{
		{"package", "fmt.Pri"},
		{"global", "Gr"},
		{"value", "mu."},
		{"this cell", "var m2 sync.RWMutex\nm2."},
		{"go-types", "r := bufio.NewReader(os.Stdin)\nr."},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cursor := utf8.RuneCountInString(c.code)
			e.Complete(context.Background(), c.code, cursor) // warm
			for b.Loop() {
				if len(e.Complete(context.Background(), c.code, cursor).Matches) == 0 {
					b.Fatal("no matches")
				}
			}
		})
	}
}

// BenchmarkCompleteFresh changes the code every time, so nothing is answered
// from a memo of the same question (the type checker runs each time).
func BenchmarkCompleteFresh(b *testing.B) {
	e := newTestEngine(b)
	execCell(b, e, 1, "var mu sync.Mutex")
	e.Complete(context.Background(), "fmt.Pri", 7) // warm: standard library table, docs
	i := 0
	for b.Loop() {
		i++
		code := fmt.Sprintf("r%d := bufio.NewReader(os.Stdin)\nx := %d\nr%d.", i, i, i)
		if len(e.Complete(context.Background(), code, utf8.RuneCountInString(code)).Matches) == 0 {
			b.Fatal("no matches")
		}
	}
}

func BenchmarkInspect(b *testing.B) {
	e := newTestEngine(b)
	for b.Loop() {
		if !e.Inspect(context.Background(), "fmt.Println", 6, 0).Found {
			b.Fatal("not found")
		}
	}
}
