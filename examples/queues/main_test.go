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
	"the article's loop (while not q.empty()): 0 of 5 items",
	"Hello World! (5)",
	"the fix (range until closed): all 5 items",
	"queue: nothing received before the timeout",
	"pipeline: [1 4 9 16 25]",
}
