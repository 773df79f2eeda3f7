package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gokernel/gokernel/kernel/engine/bincache"
)

// TestBinaryCacheAcrossKernels: a second kernel (another workspace) runs the
// binary the first built for the same program, and only for the same
// program built the same way.
func TestBinaryCacheAcrossKernels(t *testing.T) {
	cache, err := bincache.Open(filepath.Join(t.TempDir(), "bin"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	first, second := newTestBuilder(t), newTestBuilder(t)
	first.disk, second.disk = cache, cache
	hello := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	other := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"other\") }\n"
	broken := "package main\n\nfunc main() { nope() }\n"
	tests := []struct {
		name     string
		b        *builder
		src      string
		prebuilt string
		how      string // "" for a build error
		output   string
		entries  int // in the cache afterwards
	}{
		{"first kernel builds", first, hello, "", "direct", "hello\n", 1},
		{"second kernel reuses it", second, hello, "", "cache of earlier kernels", "hello\n", 1},
		{"then its own copy", second, hello, "", "cache", "hello\n", 1},
		{"another program is built", second, other, "", "direct", "other\n", 2},
		{"a build error is not kept", first, broken, "", "", "", 2},
		{"another standard library is another key", first, other, "/elsewhere", "direct", "other\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.b.prebuilt = tt.prebuilt
			defer func() { tt.b.prebuilt = "" }()
			res, err := tt.b.build(t.Context(), buildRequest{Source: []byte(tt.src), Imports: []string{"fmt"}})
			if tt.how == "" {
				if err == nil {
					t.Fatal("broken program built")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if res.How != tt.how {
					t.Errorf("how: have %q, want %q", res.How, tt.how)
				}
				out, err := exec.Command(res.Binary).CombinedOutput()
				if err != nil || string(out) != tt.output {
					t.Errorf("binary: have %q (%v), want %q", out, err, tt.output)
				}
			}
			tt.b.diskAdds.Wait()
			entries, _ := os.ReadDir(cache.Dir())
			if len(entries) != tt.entries {
				t.Errorf("cache holds %d entries, want %d", len(entries), tt.entries)
			}
		})
	}
}

// TestBinaryCacheKeepsNoValues: kept values are read when the program runs,
// not built into it, so a kernel that reuses another's binary for the same
// cell still sees its own values.
func TestBinaryCacheKeepsNoValues(t *testing.T) {
	cache, err := bincache.Open(filepath.Join(t.TempDir(), "bin"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{"1", "41"} {
		e, err := New(context.Background(), Config{BinaryCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		execCell(t, e, 1, "n := "+start)
		out := execCell(t, e, 2, "n++\nfmt.Println(n)")
		want := map[string]string{"1": "2\n", "41": "42\n"}[start]
		if out.Err != nil || out.Stdout != want {
			t.Errorf("n := %s, then n++: have %q (%v), want %q", start, out.Stdout, out.Err, want)
		}
		e.Close()
	}
	if entries, _ := os.ReadDir(cache.Dir()); len(entries) < 2 {
		t.Errorf("cache holds %d entries; the second kernel cannot have reused the first's", len(entries))
	}
}
