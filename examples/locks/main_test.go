package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// captureMain runs main with os.Stdout sent to a temporary file and returns
// what it printed.
func captureMain(t *testing.T) string {
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

// TestMainPrints runs the program as `go run` would and checks the lines
// that carry its lesson.
func TestMainPrints(t *testing.T) {
	out := captureMain(t)
	for _, want := range wantInOutput {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q; have:\n%s", want, out)
		}
	}
}

var wantInOutput = []string{
	"mutex:  400000 of 400000",
	"atomic: 400000 of 400000",
	"table:  answer = 42",
	"a=100 b=100 (no deadlock)",
}
