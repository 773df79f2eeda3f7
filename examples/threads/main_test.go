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
	"worker 1: Hello World! (5)",
	"worker 2: Hello World! (5)",
	"10000 goroutines started",
}
