// Package mainrun lets an example's test run the example's main as
// `go run ./examples/NAME` would and check the lines that carry its lesson.
package mainrun

import (
	"io"
	"os"
	"strings"
	"testing"
)

// Output runs main with os.Stdout sent to a temporary file and returns what
// it printed.
func Output(t testing.TB, main func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()
	main()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Check runs main and reports each line of want that its output lacks.
func Check(t *testing.T, main func(), want []string) {
	t.Helper()
	out := Output(t, main)
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output does not contain %q; have:\n%s", w, out)
		}
	}
}
