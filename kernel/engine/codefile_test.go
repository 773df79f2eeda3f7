package engine

import (
	"fmt"
	"strings"
	"testing"
)

// TestCellRunAgainReusesItsBinary: a cell's code is named by its content in
// the program, not by its execution count, so running it again (or a later
// kernel running it in the same place) is the same program: no build. The
// cell's messages still name the execution count that ran it.
func TestCellRunAgainReusesItsBinary(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "func half(n int) int { return n / 2 }")
	tests := []struct {
		name  string
		count int
		code  string
		// out or err: what the cell prints, or a substring of its error's
		// traceback.
		out, err string
		builds   int // binaries the engine has built so far
	}{
		{"first run", 2, "fmt.Println(half(10))", "5\n", "", 2},
		{"run again", 3, "fmt.Println(half(10))", "5\n", "", 2},
		{"a panic names the count that ran it", 4, "var z int\nfmt.Println(half(10) / z)", "", "cell [4] line 2", 3},
		{"run again, the same panic names the new count", 5, "var z int\nfmt.Println(half(10) / z)", "", "cell [5] line 2", 3},
		{"a compile error names the count", 6, "fmt.Println(half(1)\n+ nope)", "", "cell [6]", 3},
		{"and the count of a remembered declaration", 7, "func broken() int { return \"x\" }", "", "cell [7] line 1", 3},
	}
	childPanics := "func boom() {\n\tpanic(\"boom in child\")\n}\np := nb.Process(boom)\np.Start()\np.Join()\nfmt.Println(\"joined\")"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := execCell(t, e, tt.count, tt.code)
			if tt.err == "" {
				if got.Err != nil || got.Stdout != tt.out {
					t.Errorf("printed %q, error %v; want %q", got.Stdout, got.Err, tt.out)
				}
			} else if got.Err == nil || !strings.Contains(strings.Join(got.Err.Traceback, "\n")+got.Err.Value, tt.err) {
				t.Errorf("error %+v; want one naming %q", got.Err, tt.err)
			}
			e.build.mu.Lock()
			n := len(e.build.binaries)
			e.build.mu.Unlock()
			if n != tt.builds {
				t.Errorf("%d binaries built, want %d", n, tt.builds)
			}
		})
	}
	// A child process (nb.Process) names the cell from inside the program,
	// with the names the kernel passes it.
	for _, count := range []int{8, 9} {
		got := execCell(t, e, count, childPanics)
		if want := fmt.Sprintf("cell [%d] line 2  in boom", count); !strings.Contains(got.Stderr, want) || !strings.Contains(got.Stdout, "joined") {
			t.Errorf("cell %d: stderr %q, stdout %q; want %q in stderr", count, got.Stderr, got.Stdout, want)
		}
	}
}
