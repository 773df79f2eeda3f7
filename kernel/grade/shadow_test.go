package grade

import (
	"reflect"
	"testing"
)

func TestTopLevelNames(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"func", "func double(x int) int { return 2 * x }", []string{"double"}},
		{"method is not a name", "func (c *Counter) Inc() {}", nil},
		{"generic func", "func Map[T any](xs []T) []T { return xs }", []string{"Map"}},
		{"var list", "var a, b = 1, 2", []string{"a", "b"}},
		{"const and type", "const limit = 3\ntype Job struct{ ID int }", []string{"limit", "Job"}},
		{"group", "var (\n\tx int\n\ty, z = 1, 2\n\tw = map[string]int{\"a\": 1}\n)", []string{"x", "y", "z", "w"}},
		{"type group", "type (\n\tA int\n\tB struct {\n\t\tn int\n\t}\n)", []string{"A", "B"}},
		{"statements declare nothing", "x := 1\nfor i := range 3 {\n\tvar inner int\n\t_ = inner\n}\nfunc() {}()", nil},
		{"shadowing panic", "func panic(v any) {}\nvar len = 3", []string{"panic", "len"}},
		{"magics are skipped", "%race\n%timeout 5s\nvar ok = true", []string{"ok"}},
		{"cell magic is not Go", "%%bash\nfunc f() {}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if have := topLevelNames(tt.src); !reflect.DeepEqual(have, tt.want) {
				t.Errorf("have %q, want %q", have, tt.want)
			}
		})
	}
}
