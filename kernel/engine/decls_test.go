package engine

import (
	"slices"
	"testing"
)

func TestDeclSetMerge(t *testing.T) {
	tests := []struct {
		name    string
		cells   []string
		keys    []string // kind:key of the remembered decls, in order
		imports []string // local names of the remembered imports
	}{
		{name: "remembered", cells: []string{"func F() {}", "type T int"}, keys: []string{"func:F", "type:T"}},
		{name: "later replaces", cells: []string{"func F() {}\nfunc G() {}", "func F() int { return 1 }"}, keys: []string{"func:G", "func:F"}},
		{name: "func replaces var", cells: []string{"var F = 1", "func F() {}"}, keys: []string{"func:F"}},
		{name: "methods by receiver", cells: []string{"type A int\ntype B int\nfunc (A) M() {}\nfunc (B) M() {}", "func (a *A) M() {}"},
			keys: []string{"type:A", "type:B", "method:B.M", "method:A.M"}},
		{name: "multi-name var replaced by one", cells: []string{"var a, b = 1, 2", "var b = 3"}, keys: []string{"var:b"}},
		{name: "blank var run twice is remembered once", cells: []string{"var _ = f()", "var _ = f()", "var _ = g()"}, keys: []string{"var:_", "var:_"}},
		{name: "imports by name", cells: []string{"import \"math/rand\"\nimport \"fmt\"", "import \"crypto/rand\""}, imports: []string{"fmt", "rand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := &declSet{}
			for i, c := range tt.cells {
				pc, err := parse(c)
				if err != nil {
					t.Fatal(err)
				}
				ds.merge(pc, i+1)
			}
			var keys, imports []string
			for _, d := range ds.Decls {
				keys = append(keys, d.Kind+":"+d.key())
			}
			for _, i := range ds.Imports {
				imports = append(imports, i.localName())
			}
			if !slices.Equal(keys, tt.keys) || !slices.Equal(imports, tt.imports) {
				t.Errorf("have decls %q imports %q, want %q %q", keys, imports, tt.keys, tt.imports)
			}
		})
	}
}

func TestDeclSetCloneIsIndependent(t *testing.T) {
	ds := &declSet{}
	pc, _ := parse("func F() {}")
	ds.merge(pc, 1)
	c := ds.clone()
	pc2, _ := parse("func F() int { return 2 }\nfunc G() {}")
	c.merge(pc2, 2)
	if len(ds.Decls) != 1 || ds.Decls[0].Cell != 1 {
		t.Errorf("original changed by merging into the clone: %+v", ds.Decls)
	}
	if len(c.Decls) != 2 {
		t.Errorf("clone: have %d decls, want 2", len(c.Decls))
	}
}

func TestImportLocalName(t *testing.T) {
	tests := []struct {
		spec importSpec
		want string
	}{
		{importSpec{Path: "fmt"}, "fmt"},
		{importSpec{Path: "math/rand/v2"}, "rand"},
		{importSpec{Name: "r", Path: "math/rand"}, "r"},
		{importSpec{Path: "github.com/x/go-yaml"}, "yaml"},
	}
	for _, tt := range tests {
		if have := tt.spec.localName(); have != tt.want {
			t.Errorf("%+v: have %q, want %q", tt.spec, have, tt.want)
		}
	}
}

func TestDeclSetReachable(t *testing.T) {
	earlier := "func A() int { return B() }\nfunc B() int { return 1 }\nfunc Unused() {}\n" +
		"type T struct{ U U }\ntype U int\nfunc (t T) M() int { return C() }\nfunc C() int { return 2 }\n" +
		"type Lonely int\nfunc (Lonely) M() {}\nvar v = D()\nfunc D() int { return 3 }\nfunc init() { E() }\nfunc E() {}\nconst K = 1\n" +
		"var quiet = []int{1, 2}\nvar f = func() int { return B() }\nvar _ = D()"
	tests := []struct {
		name string
		cell string
		want []string // kind:key kept, in remembered order
	}{
		// QA E3: a var whose initializer calls something (var v = D()) is
		// in a program only when the cell reaches it, like any other var;
		// an init func runs only in the cell that declares it (issue 19).
		{name: "nothing used", cell: "fmt.Println(1)",
			want: nil},
		{name: "var with a call comes when used", cell: "v + 1",
			want: []string{"var:v", "func:D"}},
		{name: "constant var comes when used", cell: "quiet[0] + f()",
			want: []string{"func:B", "var:quiet", "var:f"}},
		{name: "transitive", cell: "A()",
			want: []string{"func:A", "func:B"}},
		{name: "type brings its methods and what they use", cell: "var t T\n_ = t",
			want: []string{"type:T", "type:U", "method:T.M", "func:C", "var:t"}},
		{name: "the cell's own declarations stay", cell: "func New() {}\nconst K2 = K",
			want: []string{"const:K", "func:New", "const:K2"}},
		{name: "a declaration of the cell that uses a var brings it", cell: "func Twice() int { return 2 * v }",
			want: []string{"var:v", "func:D", "func:Twice"}},
		{name: "an init that uses a var brings it", cell: "func init() { _ = v }", // and replaces the earlier init
			want: []string{"var:v", "func:D", "func:init"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := &declSet{}
			pc1, err := parse(earlier)
			if err != nil {
				t.Fatal(err)
			}
			ds.merge(pc1, 1)
			pc2, err := parse(tt.cell)
			if err != nil {
				t.Fatal(err)
			}
			ds.merge(pc2, 2)
			var have []string
			for _, d := range ds.reachable(pc2, 2) {
				have = append(have, d.Kind+":"+d.key())
			}
			if !slices.Equal(have, tt.want) {
				t.Errorf("have %q\nwant %q", have, tt.want)
			}
		})
	}
}
