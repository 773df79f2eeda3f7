package keep

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The round trips of this package's tests load what they saved in one
// process, as the engine's programs do after it registered what the saving
// program listed (Report.Dyn), Composites among them.
func init() { RegisterType[Composites]() }

// A value holding an unnamed array or map type inside an interface
// is reported with Composites, which its loading program registers; without
// it the load fails with a clear error, not a crash.
func TestCompositesListedWhereNeeded(t *testing.T) {
	Register(account{})
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"any holding an array", ptr[any]([2]string{"a", "b"}), true},
		{"any holding a map", ptr[any](map[string]int{"a": 1}), true},
		{"any holding a slice of maps", ptr[any]([]map[int]bool{{1: true}}), true},
		{"any holding a pointer to an array", ptr[any](&[3]int{1}), true},
		{"any holding a slice", ptr[any]([]int{1}), false},
		{"any holding a named struct", ptr[any](account{owner: "a"}), false},
		{"any holding a pointer to a named struct", ptr[any](&account{owner: "a"}), false},
		{"a slice outside any interface", ptr([]int{1}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			rep := saveGroups(dir, "c", 1<<20, []Var{{Name: "x", Ptr: tt.v}})
			if len(rep.Failed) > 0 {
				t.Fatal(rep.Failed)
			}
			if have := slices.Contains(rep.Dyn, "x "+compositesKey); have != tt.want {
				t.Fatalf("Dyn %q: lists %s = %v, want %v", rep.Dyn, compositesKey, have, tt.want)
			}
			if !tt.want {
				return
			}
			registryMu.Lock()
			saved := registry[compositesKey]
			delete(registry, compositesKey)
			registryMu.Unlock()
			defer registerType(saved)
			var out any
			err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, []Var{{Name: "x", Ptr: &out}})
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), "Composites is not registered") {
				t.Fatalf("load without Composites: %v, want a LoadError naming Composites", err)
			}
		})
	}
}

// TestCellLinksLittle builds a cell program as the engine writes it, keeping
// ten small values, and checks what the linker kept out: every package and
// function it links is link time in every cell that uses a kept value.
func TestCellLinksLittle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	deps, err := exec.Command(gobin, "list", "-deps", "./testdata/linkcell").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"bufio", "bytes", "encoding/binary", "path/filepath", "maps"} {
		if slices.Contains(strings.Fields(string(deps)), pkg) {
			t.Errorf("a cell keeping values links package %s", pkg)
		}
	}
	// Absent from a program that keeps ints, present once it registers
	// Composites (so that the check can fail).
	unwanted := []string{"reflect.MapOf", "reflect.ArrayOf", "reflect.StructOf", "time.Time.Format", "time.LoadLocationFromTZData"}
	built := func(tags string, pkg ...string) map[string]bool {
		dir := "./testdata/linkcell"
		if len(pkg) > 0 {
			dir = pkg[0]
		}
		bin := filepath.Join(t.TempDir(), "cell")
		if out, err := exec.Command(gobin, "build", "-tags", tags, "-o", bin, dir).CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		out, err := exec.Command(gobin, "tool", "nm", bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		syms := map[string]bool{}
		for line := range strings.Lines(string(out)) {
			if f := strings.Fields(line); len(f) >= 3 {
				syms[f[2]] = true
			}
		}
		os.Remove(bin)
		return syms
	}
	plain := built("")
	for _, s := range unwanted {
		if plain[s] {
			t.Errorf("a cell keeping ints links %s", s)
		}
	}
	for _, s := range []string{"reflect.Value.Method", "reflect.Value.MethodByName", "errors.As"} {
		if plain[s] {
			t.Errorf("a cell keeping values links %s (reflect's Method keeps every exported method of every type; errors.As links internal/reflectlite)", s)
		}
	}
	if !built("composites")["reflect.MapOf"] {
		t.Error("a cell registering Composites does not link reflect.MapOf: the check above proves nothing")
	}
	// A cell that keeps only values of predeclared types links keep/plain
	// and nothing of keep (its codec costs ≈ 10 ms of link); the one above
	// links keep (so that the check can fail).
	keepSyms := func(syms map[string]bool) (n int) {
		for s := range syms {
			if strings.HasPrefix(s, "github.com/gokernel/gokernel/kernel/nb/keep.") {
				n++
			}
		}
		return n
	}
	if n := keepSyms(plain); n == 0 {
		t.Error("a cell keeping values with package keep links none of its symbols: the check below proves nothing")
	}
	if n := keepSyms(built("", "./testdata/linkplain")); n > 0 {
		t.Errorf("a cell that reads and changes ints links %d symbols of package keep", n)
	}
}
