package plain_test

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/keep"
	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// What package keep saves, a program that imports only plain loads: one
// cell changes values (keep saves them), the next only reads them (plain
// loads them), through the plan and the report as the kernel writes them.
func TestLoadsWhatKeepSaves(t *testing.T) {
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
	vars := func(v *values) []plain.Var {
		rv := reflect.ValueOf(v).Elem()
		var out []plain.Var
		for i := range rv.NumField() {
			out = append(out, plain.Var{Name: rv.Type().Field(i).Name, Ptr: rv.Field(i).Addr().Interface()})
		}
		return out
	}
	for _, in := range []values{
		{}, // zero values
		{true, "héllo\x00\n", math.MinInt, math.MinInt8, math.MinInt16, math.MinInt32, math.MinInt64,
			math.MaxUint, math.MaxUint8, math.MaxUint16, math.MaxUint32, math.MaxUint64, ^uintptr(0),
			-math.MaxFloat32, math.Inf(-1), complex(1.5, -2), complex(math.SmallestNonzeroFloat64, math.MaxFloat64)},
		{false, "x", math.MaxInt, math.MaxInt8, math.MaxInt16, math.MaxInt32, math.MaxInt64,
			1, 1, 1, 1, 1, 1, math.SmallestNonzeroFloat32, -0.5, complex(0, 1), complex(-1, 0)},
	} {
		dir := t.TempDir()
		// The saving program: keep.
		if err := plain.WritePlan(filepath.Join(dir, "s1.plan"), &plain.Plan{Dir: dir, Budget: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		t.Setenv(plain.EnvIn, filepath.Join(dir, "s1.plan"))
		t.Setenv(plain.EnvOut, filepath.Join(dir, "s1.report"))
		keep.Save(vars(&in))
		rep, err := plain.ReadReport(filepath.Join(dir, "s1.report"))
		if err != nil || len(rep.Failed) > 0 || len(rep.Groups) != len(vars(&in)) {
			t.Fatalf("keep saved %+v, %v", rep, err)
		}
		// The reading program: plain.
		if err := plain.WritePlan(filepath.Join(dir, "s2.plan"), &plain.Plan{Dir: dir, Budget: 1 << 20, Groups: rep.Groups}); err != nil {
			t.Fatal(err)
		}
		t.Setenv(plain.EnvIn, filepath.Join(dir, "s2.plan"))
		t.Setenv(plain.EnvOut, filepath.Join(dir, "s2.report"))
		var out values
		plain.Load(vars(&out))
		if out != in {
			t.Errorf("loaded %+v, want %+v", out, in)
		}
	}
}
