package keep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

// A program that loads values and leaves some unchanged writes only the
// others again: the report names the old file for the unchanged group, and
// both load back.
func TestSaveWritesOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	n, floats := 7, []float64{1.5, 2.5}
	first := saveGroups(dir, "c1", 1<<30, []Var{{Name: "big", Ptr: &big}, {Name: "n", Ptr: &n}, {Name: "floats", Ptr: &floats}})
	if len(first.Failed) > 0 || len(first.Groups) != 3 {
		t.Fatalf("first save: %+v", first)
	}
	fileOf := func(rep *Report, name string) string {
		for _, g := range rep.Groups {
			if g.Names[0] == name {
				return g.File
			}
		}
		t.Fatalf("%s not saved: %+v", name, rep)
		return ""
	}
	if err := plain.WritePlan(filepath.Join(dir, "plan"), &Plan{Dir: dir, Budget: 1 << 30, Groups: first.Groups}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvIn, filepath.Join(dir, "plan"))
	t.Setenv(EnvOut, filepath.Join(dir, "c2"))

	var big2 []byte
	var n2 int
	var floatsBack []float64
	vars := []Var{{Name: "big", Ptr: &big2}, {Name: "n", Ptr: &n2}, {Name: "floats", Ptr: &floatsBack}}
	Load(vars)
	if len(big2) != len(big) || big2[12345] != big[12345] || n2 != 7 || len(floatsBack) != 2 {
		t.Fatalf("loaded %d bytes, n = %d, floats %v", len(big2), n2, floatsBack)
	}
	n2++                // changed
	floatsBack[1] = 3.5 // changed
	Save(vars)
	second, err := plain.ReadReport(filepath.Join(dir, "c2"))
	if err != nil {
		t.Fatal(err)
	}
	if have, want := fileOf(second, "big"), fileOf(first, "big"); have != want {
		t.Errorf("unchanged big saved to %s, want the file it was loaded from, %s", have, want)
	}
	for _, name := range []string{"n", "floats"} {
		if fileOf(second, name) == fileOf(first, name) {
			t.Errorf("changed %s not written again", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3+1+2+1 { // first files, plan, two changed, report
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files %v: a group was written though unchanged, or one is missing", names)
	}
	var big3 []byte
	var n3 int
	var floats3 []float64
	if err := loadPlan(&Plan{Dir: dir, Groups: second.Groups}, []Var{{Name: "big", Ptr: &big3}, {Name: "n", Ptr: &n3}, {Name: "floats", Ptr: &floats3}}); err != nil {
		t.Fatal(err)
	}
	if string(big3) != string(big) || n3 != 8 || floats3[1] != 3.5 {
		t.Errorf("loaded back %d bytes, n = %d, floats %v", len(big3), n3, floats3)
	}
}

// A file of kept values whose size is not the one the plan says is not
// loaded (it was cut short or written to since).
func TestLoadChecksTheFileSize(t *testing.T) {
	dir := t.TempDir()
	x := []int{1, 2, 3}
	rep := saveGroups(dir, "c1", 1<<20, []Var{{Name: "x", Ptr: &x}})
	g := rep.Groups[0]
	for _, size := range []int64{g.Size - 1, g.Size + 1} {
		var y []int
		err := loadPlan(&Plan{Dir: dir, Groups: []Group{{File: g.File, Size: size, Names: g.Names}}}, []Var{{Name: "x", Ptr: &y}})
		if _, ok := err.(*LoadError); !ok {
			t.Errorf("size %d of %d: %v, want a LoadError", size, g.Size, err)
		}
	}
}

// Large slices of numbers are written from the variables themselves, between
// the bytes encoded around them: the order holds.
func TestLargeNumbersBetweenOtherFields(t *testing.T) {
	type rec struct {
		before string
		ints   []int32
		arr    [70000]uint8
		after  map[string]int
		more   []float64
	}
	r := &rec{before: "b", ints: make([]int32, 100000), after: map[string]int{"k": 1}, more: []float64{1, 2}}
	for i := range r.ints {
		r.ints[i] = int32(i * 3)
	}
	r.arr[69999] = 9
	out, rep := roundTrip(t, Var{Name: "r", Ptr: &r}, Var{Name: "n", Ptr: ptr(5)})
	if len(rep.Failed) > 0 {
		t.Fatal(rep.Failed)
	}
	got := *out[0].(**rec)
	if got.before != "b" || len(got.ints) != 100000 || got.ints[99999] != 99999*3 || got.arr[69999] != 9 ||
		got.after["k"] != 1 || len(got.more) != 2 || got.more[1] != 2 || *out[1].(*int) != 5 {
		t.Errorf("have before %q, %d ints (last %d), arr[69999] %d, after %v, more %v, n %d",
			got.before, len(got.ints), got.ints[len(got.ints)-1], got.arr[69999], got.after, got.more, *out[1].(*int))
	}
}

// The kernel's side of an unchanged value: the store keeps the file the
// program found its bytes in, and the value's cell stays the one that last
// changed it; a change writes a new file and the old one goes.
func TestStoreKeepsTheFileOfAnUnchangedValue(t *testing.T) {
	s, err := NewStore(filepath.Join(t.TempDir(), "kept"), 0)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]Kept{"data": {Type: "[]int"}}
	// run is one cell's program: it loads data if kept, lets change
	// have its way, and saves it.
	run := func(cell int, change func(*[]int)) {
		t.Helper()
		_, had := s.Lookup("data")
		var load []string
		if had {
			load = []string{"data"}
		}
		ss, err := s.Begin(load, []string{"data"})
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range ss.Env() {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		var data []int
		vars := []Var{{Name: "data", Ptr: &data}}
		Load(vars)
		change(&data)
		Save(vars)
		if err := s.Commit(ss, types, nil, cell); err != nil {
			t.Fatal(err)
		}
	}
	run(1, func(d *[]int) { *d = make([]int, 100000) })
	k, _ := s.Lookup("data")
	file := k.group.File
	run(2, func(d *[]int) {}) // saved, unchanged
	k, _ = s.Lookup("data")
	if k.group.File != file || k.Cell != 1 {
		t.Errorf("unchanged: file %s, cell %d; want %s, 1", k.group.File, k.Cell, file)
	}
	if _, err := os.Stat(filepath.Join(s.dir, file)); err != nil {
		t.Fatalf("the kept file is gone: %v", err)
	}
	run(3, func(d *[]int) { (*d)[5] = 1 })
	k, _ = s.Lookup("data")
	if k.group.File == file || k.Cell != 3 {
		t.Errorf("changed: file %s, cell %d; want a new file, cell 3", k.group.File, k.Cell)
	}
	if _, err := os.Stat(filepath.Join(s.dir, file)); err == nil {
		t.Errorf("the file of the old value is still there")
	}
	var data []int
	if err := loadPlan(&Plan{Dir: s.dir, Groups: []Group{*k.group}}, []Var{{Name: "data", Ptr: &data}}); err != nil || len(data) != 100000 || data[5] != 1 {
		t.Errorf("loaded back %d ints, data[5] = %v: %v", len(data), data[5:6], err)
	}
}
