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
	"mutex:  400000 of 400000",
	"atomic: 400000 of 400000",
	"table:  answer = 42",
	"a=100 b=100 (no deadlock)",
}
