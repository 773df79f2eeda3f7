package plain

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Loads, which the engine asks, names exactly the types decode takes.
func TestLoadsNamesWhatDecodeTakes(t *testing.T) {
	tests := []struct {
		typ   string
		ptr   any
		loads bool
	}{
		{"bool", new(bool), true},
		{"string", new(string), true},
		{"int", new(int), true},
		{"int8", new(int8), true},
		{"int16", new(int16), true},
		{"int32", new(int32), true},
		{"rune", new(rune), true},
		{"int64", new(int64), true},
		{"uint", new(uint), true},
		{"uint8", new(uint8), true},
		{"byte", new(byte), true},
		{"uint16", new(uint16), true},
		{"uint32", new(uint32), true},
		{"uint64", new(uint64), true},
		{"uintptr", new(uintptr), true},
		{"float32", new(float32), true},
		{"float64", new(float64), true},
		{"complex64", new(complex64), true},
		{"complex128", new(complex128), true},
		{"[]int", new([]int), false},
		{"error", new(error), false},
		{"any", new(any), false},
		{"celsius", new(celsius), false},
		{"*int", new(*int), false},
	}
	for _, tt := range tests {
		_, ok := fingerprint(tt.ptr)
		if Loads(tt.typ) != tt.loads || ok != tt.loads {
			t.Errorf("%s: Loads %v, decodes %v; want %v", tt.typ, Loads(tt.typ), ok, tt.loads)
		}
	}
}

type celsius float64

// file writes a file of kept values as keep's codec does.
func file(names, fps []string, values ...[]byte) []byte {
	b := AppendHeader(nil, names, fps)
	for _, v := range values {
		b = append(b, v...)
	}
	return b
}

func TestDecode(t *testing.T) {
	var n int
	var s string
	var f float64
	seven := AppendUvarint(nil, Zigzag(-7))
	hi := append(AppendUvarint(nil, 2), "hi"...)
	pi := AppendUint64(nil, math.Float64bits(math.Pi))
	tests := []struct {
		name   string
		data   []byte
		vars   []Var
		loaded string // n, s and f after a load that succeeds
		err    string // what the LoadError says, when it fails
	}{
		{"an int", file([]string{"n"}, []string{".int"}, seven), []Var{{Name: "n", Ptr: &n}}, "-7  0", ""},
		{"a string", file([]string{"s"}, []string{".string"}, hi), []Var{{Name: "s", Ptr: &s}}, "0 hi 0", ""},
		{"a float", file([]string{"f"}, []string{".float64"}, pi), []Var{{Name: "f", Ptr: &f}}, "0  3.141592653589793", ""},
		{"two in a group", file([]string{"n", "s"}, []string{".int", ".string"}, seven, hi), []Var{{Name: "n", Ptr: &n}, {Name: "s", Ptr: &s}}, "-7 hi 0", ""},
		{"a type changed", file([]string{"n"}, []string{".int64"}, seven), []Var{{Name: "n", Ptr: &n}}, "", "its type changed"},
		{"another variable", file([]string{"m"}, []string{".int"}, seven), []Var{{Name: "n", Ptr: &n}}, "", "holds other variables"},
		{"fewer variables", file([]string{"n"}, []string{".int"}, seven), []Var{{Name: "n", Ptr: &n}, {Name: "s", Ptr: &s}}, "", "holds other variables"},
		{"not a file of values", []byte("hello"), []Var{{Name: "n", Ptr: &n}}, "", "not a file of kept values"},
		{"an empty file", nil, []Var{{Name: "n", Ptr: &n}}, "", "not a file of kept values"},
		{"a truncated string", file([]string{"s"}, []string{".string"}, hi[:2]), []Var{{Name: "s", Ptr: &s}}, "", "truncated"},
		{"a truncated float", file([]string{"f"}, []string{".float64"}, pi[:7]), []Var{{Name: "f", Ptr: &f}}, "", "truncated"},
		{"a truncated header", file([]string{"n"}, []string{".int"})[:len(magic)+3], []Var{{Name: "n", Ptr: &n}}, "", "holds other variables"},
		{"a cell's type on float64", file([]string{"f"}, []string{"main.celsius=float64"}, pi), []Var{{Name: "f", Ptr: &f, Type: "main.celsius=float64"}}, "0  3.141592653589793", ""},
		{"a float64 kept, a cell's type wanted", file([]string{"f"}, []string{".float64"}, pi), []Var{{Name: "f", Ptr: &f, Type: "main.celsius=float64"}}, "", "its type changed"},
		{"a cell's type kept, a float64 wanted", file([]string{"f"}, []string{"main.celsius=float64"}, pi), []Var{{Name: "f", Ptr: &f}}, "", "its type changed"},
		{"a type plain does not load", file([]string{"c"}, []string{"main.celsius=float64"}, pi), []Var{{Name: "c", Ptr: new(celsius)}}, "", "not a value package plain loads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, s, f = 0, "", 0
			err := decode(tt.data, tt.vars)
			if tt.err != "" {
				var le *LoadError
				if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("have %v, want a LoadError saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if have := fmt.Sprint(n, " ", s, " ", f); have != tt.loaded {
				t.Errorf("loaded %q, want %q", have, tt.loaded)
			}
		})
	}
}

// FuzzDecode: a damaged file of kept values is an error, never a crash.
func FuzzDecode(f *testing.F) {
	f.Add(file([]string{"n", "s", "x", "ok"}, []string{".int", ".string", ".complex128", ".bool"},
		AppendUvarint(nil, 14), append(AppendUvarint(nil, 2), "hi"...), make([]byte, 16), []byte{1}))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var n int
		var s string
		var x complex128
		var ok bool
		decode(b, []Var{{Name: "n", Ptr: &n}, {Name: "s", Ptr: &s}, {Name: "x", Ptr: &x}, {Name: "ok", Ptr: &ok}})
	})
}

// FuzzRoundTrip: what save writes, decode reads back the same.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(-7), uint64(7), "hi", 1.5, true)
	f.Fuzz(func(t *testing.T, i int64, u uint64, s string, x float64, ok bool) {
		i8, c := int8(i), complex(float32(x), -float32(x))
		in := []Var{{Name: "i", Ptr: &i}, {Name: "u", Ptr: &u}, {Name: "s", Ptr: &s}, {Name: "x", Ptr: &x}, {Name: "ok", Ptr: &ok}, {Name: "i8", Ptr: &i8}, {Name: "c", Ptr: &c}}
		var i2 int64
		var u2 uint64
		var s2 string
		var x2 float64
		var ok2 bool
		var i82 int8
		var c2 complex64
		out := []Var{{Name: "i", Ptr: &i2}, {Name: "u", Ptr: &u2}, {Name: "s", Ptr: &s2}, {Name: "x", Ptr: &x2}, {Name: "ok", Ptr: &ok2}, {Name: "i8", Ptr: &i82}, {Name: "c", Ptr: &c2}}
		for k := range in {
			fp, _ := fingerprint(in[k].Ptr)
			data := appendValue(AppendHeader(nil, []string{in[k].Name}, []string{fp}), in[k].Ptr)
			if err := decode(data, out[k:k+1]); err != nil {
				t.Fatalf("%s: %v", in[k].Name, err)
			}
		}
		if i2 != i || u2 != u || s2 != s || math.Float64bits(x2) != math.Float64bits(x) || ok2 != ok || i82 != i8 ||
			math.Float32bits(real(c2)) != math.Float32bits(real(c)) || math.Float32bits(imag(c2)) != math.Float32bits(imag(c)) {
			t.Errorf("have %v %v %q %v %v %v %v, want %v %v %q %v %v %v %v", i2, u2, s2, x2, ok2, i82, c2, i, u, s, x, ok, i8, c)
		}
	})
}

// BenchmarkLoadTen loads ten kept ints, as the program of a cell using ten
// small values does before its code runs.
func BenchmarkLoadTen(b *testing.B) {
	dir := b.TempDir()
	ints := make([]int, 10)
	var vars []Var
	for i := range ints {
		ints[i] = i
		vars = append(vars, Var{Name: "a" + strconv.Itoa(i), Ptr: &ints[i]})
	}
	rep := save(dir, "s1", 1<<20, vars)
	plan := filepath.Join(dir, "plan")
	if err := WritePlan(plan, &Plan{Dir: dir, Budget: 1 << 20, Groups: rep.Groups}); err != nil {
		b.Fatal(err)
	}
	b.Setenv(EnvIn, plan)
	for b.Loop() {
		Load(vars)
	}
}
