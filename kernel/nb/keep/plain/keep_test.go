package plain_test

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/keep"
	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// values holds a variable of every type plain loads and saves.
type values struct {
	B    bool
	S    string
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	P    uintptr
	F32  float32
	F64  float64
	C64  complex64
	C128 complex128
}

// vars are v's fields as a program's kept variables.
func (v *values) vars() []plain.Var {
	rv := reflect.ValueOf(v).Elem()
	var out []plain.Var
	for i := range rv.NumField() {
		out = append(out, plain.Var{Name: rv.Type().Field(i).Name, Ptr: rv.Field(i).Addr().Interface()})
	}
	return out
}

var samples = []values{
	{}, // zero values
	{true, "héllo\x00\n", math.MinInt, math.MinInt8, math.MinInt16, math.MinInt32, math.MinInt64,
		math.MaxUint, math.MaxUint8, math.MaxUint16, math.MaxUint32, math.MaxUint64, ^uintptr(0),
		-math.MaxFloat32, math.Inf(-1), complex(1.5, -2), complex(math.SmallestNonzeroFloat64, math.MaxFloat64)},
	{false, "x", math.MaxInt, math.MaxInt8, math.MaxInt16, math.MaxInt32, math.MaxInt64,
		1, 1, 1, 1, 1, 1, math.SmallestNonzeroFloat32, -0.5, complex(0, 1), complex(-1, 0)},
}

// program runs one cell program's use of the kept values, as the kernel
// sets it up: a plan listing groups (budget 1 MB), the report written to
// dir/name.report, which it returns.
func program(t *testing.T, dir, name string, groups []plain.Group, run func()) *plain.Report {
	t.Helper()
	planFile := filepath.Join(dir, name+".plan")
	if err := plain.WritePlan(planFile, &plain.Plan{Dir: dir, Budget: 1 << 20, Groups: groups}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(plain.EnvIn, planFile)
	t.Setenv(plain.EnvOut, filepath.Join(dir, name+".report"))
	run()
	rep, err := plain.ReadReport(filepath.Join(dir, name+".report"))
	if os.IsNotExist(err) {
		return nil // a program that only loads writes no report
	}
	if err != nil || len(rep.Failed) > 0 {
		t.Fatalf("%s reported %+v, %v", name, rep, err)
	}
	return rep
}

// What either package saves, a program that imports the other (or the
// same) loads: a cell that changes values and the next that reads them may
// be built with either, and both write the same bytes.
func TestLoadsWhatKeepSaves(t *testing.T) {
	packages := []struct {
		name       string
		load, save func([]plain.Var)
	}{
		{"keep", keep.Load, keep.Save},
		{"plain", plain.Load, plain.Save},
	}
	for _, saver := range packages {
		for _, loader := range packages {
			t.Run(saver.name+" saves, "+loader.name+" loads", func(t *testing.T) {
				for _, in := range samples {
					dir := t.TempDir()
					rep := program(t, dir, "s1", nil, func() { saver.save(in.vars()) })
					if len(rep.Groups) != len(in.vars()) {
						t.Fatalf("saved %+v", rep)
					}
					var out values
					program(t, dir, "s2", rep.Groups, func() { loader.load(out.vars()) })
					if out != in {
						t.Errorf("loaded %+v, want %+v", out, in)
					}
				}
			})
		}
	}
	// The same bytes, file by file.
	for _, in := range samples {
		dir := t.TempDir()
		byKeep := program(t, dir, "k", nil, func() { keep.Save(in.vars()) })
		byPlain := program(t, dir, "p", nil, func() { plain.Save(in.vars()) })
		for i, g := range byKeep.Groups {
			k, _ := os.ReadFile(filepath.Join(dir, g.File))
			p, _ := os.ReadFile(filepath.Join(dir, byPlain.Groups[i].File))
			if len(k) == 0 || string(k) != string(p) {
				t.Errorf("%s: keep writes %x, plain %x", g.Names[0], k, p)
			}
		}
	}
}

// A variable of a type a cell declares on a predeclared one is handed to
// plain as the predeclared type, with its type's fingerprint; keep, which
// sees the type itself, reads and writes the same bytes.
func TestNamedTypesAcrossPackages(t *testing.T) {
	type celsius float64
	type state int
	fps := []string{keep.Fingerprint(reflect.TypeFor[celsius]()), keep.Fingerprint(reflect.TypeFor[state]())}
	asKeep := func(c *celsius, s *state) []plain.Var {
		return []plain.Var{{Name: "c", Ptr: c}, {Name: "s", Ptr: s}}
	}
	asPlain := func(c *celsius, s *state) []plain.Var {
		return []plain.Var{{Name: "c", Ptr: (*float64)(c), Type: fps[0]}, {Name: "s", Ptr: (*int)(s), Type: fps[1]}}
	}
	for _, tt := range []struct {
		name       string
		save, load func([]plain.Var)
		saveAs     func(*celsius, *state) []plain.Var
		loadAs     func(*celsius, *state) []plain.Var
	}{
		{"keep saves, plain loads", keep.Save, plain.Load, asKeep, asPlain},
		{"plain saves, keep loads", plain.Save, keep.Load, asPlain, asKeep},
		{"plain saves, plain loads", plain.Save, plain.Load, asPlain, asPlain},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c, s := celsius(-40.5), state(3)
			rep := program(t, dir, "s1", nil, func() { tt.save(tt.saveAs(&c, &s)) })
			var c2 celsius
			var s2 state
			program(t, dir, "s2", rep.Groups, func() { tt.load(tt.loadAs(&c2, &s2)) })
			if c2 != c || s2 != s {
				t.Errorf("loaded %v %v, want %v %v", c2, s2, c, s)
			}
		})
	}
}

// A value a program loaded and left as it was is not written again: the
// report names the file it came from, so the kernel keeps that file and
// %who still says which cell last changed it.
func TestSaveWritesOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	in := samples[1]
	first := program(t, dir, "s1", nil, func() { plain.Save(in.vars()) })
	var out values
	second := program(t, dir, "s2", first.Groups, func() {
		plain.Load(out.vars())
		out.I++
		plain.Save(out.vars())
	})
	for i, g := range second.Groups {
		if changed := g.File != first.Groups[i].File; changed != (g.Names[0] == "I") {
			t.Errorf("%s written again: %v (file %s, loaded from %s)", g.Names[0], changed, g.File, first.Groups[i].File)
		}
	}
}

// Saving stops at the budget the plan gives, with the message keep gives.
func TestSaveWithinBudget(t *testing.T) {
	dir := t.TempDir()
	if err := plain.WritePlan(filepath.Join(dir, "plan"), &plain.Plan{Dir: dir, Budget: 100}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(plain.EnvIn, filepath.Join(dir, "plan"))
	t.Setenv(plain.EnvOut, filepath.Join(dir, "report"))
	small, long := 1, strings.Repeat("x", 200)
	plain.Save([]plain.Var{{Name: "small", Ptr: &small}, {Name: "long", Ptr: &long}})
	rep, err := plain.ReadReport(filepath.Join(dir, "report"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Names[0] != "small" {
		t.Errorf("saved %+v", rep.Groups)
	}
	if !strings.HasPrefix(rep.Failed["long"], "kept values are limited to 100 bytes in all (GOKERNEL_STATE_MAX) and long would take") {
		t.Errorf("long: %q", rep.Failed["long"])
	}
	if !slices.Equal(rep.Limited, []string{"long"}) {
		t.Errorf("limited %q, want long only", rep.Limited)
	}
}
