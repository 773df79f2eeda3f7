package engine

import (
	"go/build"
	"slices"
	"testing"
)

func TestImportFixer(t *testing.T) {
	f := &importFixer{std: &stdTable{goroot: build.Default.GOROOT}, dir: t.TempDir()}
	tests := []struct {
		name       string
		body       string
		candidates []importSpec
		want       []string // local names, in any order
	}{
		{name: "missing std added", body: "func main() { fmt.Println(strings.ToUpper(\"x\")) }",
			want: []string{"fmt", "strings"}},
		{name: "unused dropped", body: "func main() { fmt.Println() }",
			candidates: []importSpec{{Path: "fmt"}, {Path: "os"}, {Path: nbImportPath}}, want: []string{"fmt"}},
		{name: "nb kept when used", body: "func main() { nb.HTML(\"x\") }",
			candidates: []importSpec{{Path: nbImportPath}}, want: []string{"nb"}},
		{name: "alias kept", body: "func main() { r.Int() }",
			candidates: []importSpec{{Name: "r", Path: "math/rand"}}, want: []string{"r"}},
		{name: "rand resolved from symbols", body: "func main() { rand.Intn(3) }", want: []string{"rand"}},
		{name: "unknown name left to the compiler", body: "func main() { fmtt.Println(); fmt.Println() }", want: []string{"fmt"}},
		{name: "local variable is not a package", body: "func main() { strings := []string{}; _ = len(strings); var b bytes.Buffer; b.Len() }", want: []string{"bytes"}},
		{name: "struct field named like a package", body: "type E struct{ time time.Time }\nfunc main() { _ = E{time: time.Now()} }", want: []string{"time"}},
		{name: "parameter shadows a package in one function only", body: "func f(strings []string) int { return len(strings) }\nfunc main() { _ = strings.ToUpper(\"x\") }", want: []string{"strings"}},
		{name: "package-level name beats an import of that name", body: "type T struct{ X int }\nvar nb T\nfunc main() { _ = nb.X }",
			candidates: []importSpec{{Path: nbImportPath}}, want: nil},
		{name: "blank import kept", body: "func main() {}", candidates: []importSpec{{Name: "_", Path: "embed"}}, want: []string{"_embed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := f.fix([]byte(tt.body), tt.candidates)
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, s := range specs {
				have = append(have, s.localName())
			}
			slices.Sort(have)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(have, want) {
				t.Errorf("have %q, want %q", have, want)
			}
		})
	}
}

func TestImportFixerPaths(t *testing.T) {
	f := &importFixer{std: &stdTable{goroot: build.Default.GOROOT}, dir: t.TempDir()}
	specs, err := f.fix([]byte("func main() { _ = rand.Intn(2); _ = json.Valid(nil) }"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(specs, importSpec{Path: "math/rand"}) || !slices.Contains(specs, importSpec{Path: "encoding/json"}) {
		t.Errorf("have %+v, want math/rand and encoding/json", specs)
	}
}

func TestImportFixerRemembersAnswers(t *testing.T) {
	f := &importFixer{std: &stdTable{goroot: build.Default.GOROOT}, dir: t.TempDir()}
	tests := []struct {
		name  string
		body  string
		calls int // calls of imports.Process so far
		want  string
	}{
		{name: "first use asks", body: "func main() { _ = rand.Intn(3) }", calls: 1, want: "math/rand"},
		{name: "same use is remembered", body: "func main() { x := rand.Intn(4); _ = x }", calls: 1, want: "math/rand"},
		{name: "other selectors ask again", body: "func main() { _ = rand.N(4) }", calls: 2, want: "math/rand/v2"},
		{name: "a name only one standard package has is never asked", body: "func main() { time.Sleep(time.Millisecond) }", calls: 2, want: "time"},
		{name: "nor with a member it lacks", body: "func main() { strings.Splitt(\"a\", \"\") }", calls: 2, want: "strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := f.fix([]byte(tt.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) != 1 || specs[0].Path != tt.want || f.calls != tt.calls {
				t.Errorf("have %+v after %d calls, want %s after %d", specs, f.calls, tt.want, tt.calls)
			}
		})
	}
}

// TestImportFixerMisspeltMember: one member the package lacks must not
// keep the package out (QA E1: "undefined: fmt" on every line instead of
// "undefined: fmt.Printn" on one).
func TestImportFixerMisspeltMember(t *testing.T) {
	f := &importFixer{std: &stdTable{goroot: build.Default.GOROOT}, dir: t.TempDir()}
	tests := []struct {
		name string
		body string
		want []importSpec
	}{
		{name: "one package of that name", body: "func main() { fmt.Println(\"a\"); fmt.Printn(\"c\") }",
			want: []importSpec{{Path: "fmt"}}},
		{name: "several packages: the one with most members", body: "func main() { _ = rand.Intn(3); _ = rand.Intnn(4) }",
			want: []importSpec{{Path: "math/rand"}}},
		{name: "only unknown members", body: "func main() { strings.Uper(\"x\") }",
			want: []importSpec{{Path: "strings"}}},
		{name: "a local of that name is left alone", body: "func main() { fmt := struct{}{}; _ = fmt.Printn }",
			want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := f.fix([]byte(tt.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(have, tt.want) {
				t.Errorf("have %+v, want %+v", have, tt.want)
			}
		})
	}
}

// The same program gets its imports in the same order every time, whether
// goimports answered or the memo did: the order is part of the program's
// source, which the binary cache and builds ahead are keyed by.
func TestImportFixerOrderIsStable(t *testing.T) {
	f := &importFixer{std: &stdTable{goroot: build.Default.GOROOT}, dir: t.TempDir()}
	body := []byte("func main() { _ = strings.ToUpper(strconv.Itoa(runtime.NumCPU())); var m sync.Mutex; m.Lock(); _ = time.Now(); _ = atomic.AddInt32(nil, 1); fmt.Println() }")
	var first []importSpec
	for i := range 20 {
		specs, err := f.fix(body, []importSpec{{Path: "time"}, {Path: nbImportPath}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = specs
			continue
		}
		if !slices.Equal(specs, first) {
			t.Fatalf("call %d: have %v, first call %v", i+1, specs, first)
		}
	}
}
