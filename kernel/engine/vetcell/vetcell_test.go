package vetcell

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// imp imports the standard library from export data the go command builds
// (once per test binary).
var imp = importer.Default()

func check(t *testing.T, src string) ([]Finding, error) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return Check(fset, []*ast.File{f}, imp, "go1.22")
}

const counter = `package main

import "sync"

type Counter struct {
	mu sync.Mutex
	n  int
}
`

func TestCheck(t *testing.T) {
	type want struct {
		check, file string
		line        int
		msg, hint   string // msg: exact; hint: a part of it
	}
	tests := []struct {
		name string
		src  string
		want []want
	}{
		{"value receiver", counter + "\nfunc (c Counter) Inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }\n",
			[]want{{"copylocks", "main.go", 10, "Inc passes lock by value: Counter contains sync.Mutex", "func (c *Counter) Inc"}}},
		{"pointer receiver", counter + "\nfunc (c *Counter) Inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }\n", nil},
		{"assignment", counter + "\nfunc f(c *Counter) int { c2 := *c; return c2.n }\n",
			[]want{{"copylocks", "main.go", 10, "assignment copies lock value to c2: Counter contains sync.Mutex", ""}}},
		{"range over values", counter + "\nfunc f(cs []Counter) (n int) {\n\tfor _, c := range cs {\n\t\tn += c.n\n\t}\n\treturn n\n}\n",
			[]want{{"copylocks", "main.go", 11, "range var c copies lock: Counter contains sync.Mutex", "for i := range cs"}}},
		{"waitgroup by value", "package main\n\nimport \"sync\"\n\nfunc work(wg sync.WaitGroup) { wg.Done() }\n",
			[]want{{"copylocks", "main.go", 5, "work passes lock by value: sync.WaitGroup contains sync.noCopy", "pass a pointer: *sync.WaitGroup"}}},
		{"add in goroutine", "package main\n\nimport \"sync\"\n\nfunc f() {\n\tvar wg sync.WaitGroup\n\tgo func() {\n\t\twg.Add(1)\n\t\twg.Done()\n\t}()\n\twg.Wait()\n}\n",
			[]want{{"waitgroup", "main.go", 8, "WaitGroup.Add called from inside new goroutine", ""}}},
		{"lost cancel", "package main\n\nimport \"context\"\n\nfunc f() context.Context {\n\tctx, _ := context.WithCancel(context.Background())\n\treturn ctx\n}\n",
			[]want{{"lostcancel", "main.go", 6, "the cancel function returned by context.WithCancel should be called, not discarded, to avoid a context leak", ""}}},
		{"atomic assignment", "package main\n\nimport \"sync/atomic\"\n\nvar n int64\n\nfunc f() { n = atomic.AddInt64(&n, 1) }\n",
			[]want{{"atomic", "main.go", 7, "direct assignment to atomic value", ""}}},
		{"unused result", "package main\n\nimport \"fmt\"\n\nfunc f() { fmt.Sprintf(\"%d\", 1) }\n",
			[]want{{"unusedresult", "main.go", 5, "result of fmt.Sprintf call not used", ""}}},
		{"printf verb of another type", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Printf(\"%d\\n\", \"str\") }\n",
			[]want{{"printf", "main.go", 5, "fmt.Printf format %d has arg \"str\" of wrong type string", ""}}},
		{"println with a verb", "package main\n\nimport \"fmt\"\n\nfunc main() { n := 1; fmt.Println(\"n = %d\", n) }\n",
			[]want{{"printf", "main.go", 5, "fmt.Println call has possible Printf formatting directive %d", ""}}},
		{"a printf wrapper of the cell's own", "package main\n\nimport \"fmt\"\n\nfunc logf(format string, args ...any) { fmt.Printf(format, args...) }\n\nfunc main() { logf(\"%s\\n\") }\n",
			[]want{{"printf", "main.go", 7, "logf format %s reads arg #1, but call has 0 args", ""}}},
		{"string of an int", "package main\n\nfunc main() { n := 65; _ = string(n) }\n",
			[]want{{"stringintconv", "main.go", 3, "conversion from int to string yields a string of one rune, not a string of digits", ""}}},
		{"line directive", counter + "\n/*line cell3.go:2:1*/func (c Counter) Get() int { return c.n }\n",
			[]want{{"copylocks", "cell3.go", 2, "Get passes lock by value: Counter contains sync.Mutex", "func (c *Counter) Get"}}},
		{"nothing to say", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := check(t, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Check != w.check || g.Pos.Filename != w.file || g.Pos.Line != w.line || g.Msg != w.msg || !strings.Contains(g.Hint, w.hint) || (w.hint == "" && g.Hint != "") {
					t.Errorf("finding %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestCheckTypeError(t *testing.T) {
	// The compiler reports the error; vet says nothing about such a program.
	got, err := check(t, counter+"\nfunc (c Counter) Inc() { c.n += undefinedName }\n")
	if err == nil || len(got) != 0 {
		t.Fatalf("Check = %v, %v; want an error and no findings", got, err)
	}
}

// BenchmarkCheck is the vet stage alone on a lesson-sized program (the
// standard library's export data already imported).
func BenchmarkCheck(b *testing.B) {
	src := counter + `
func (c *Counter) Inc() { c.mu.Lock(); defer c.mu.Unlock(); c.n++ }

func main() {
	var c Counter
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Inc()
		}()
	}
	wg.Wait()
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Check(fset, []*ast.File{f}, imp, "go1.22"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Check(fset, []*ast.File{f}, imp, "go1.22"); err != nil {
			b.Fatal(err)
		}
	}
}
