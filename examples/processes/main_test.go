package main

import (
	"testing"

	"github.com/gokernel/gokernel/examples/internal/mainrun"
)

// TestMainPrints runs the program as `go run` would and checks the lines
// that carry its lesson.
func TestMainPrints(t *testing.T) {
	mainrun.Check(t, main, wantInOutput)
}

var wantInOutput = []string{
	"p1 (pid",
	"exited with 0 and printed 5 lines",
	"counter = 101",
	"counter = 100 (the child changed its own copy)",
	"fail exited with status 3",
}
