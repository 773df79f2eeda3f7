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
	"pipeline: stopped by its deadline (context deadline exceeded)",
	"fan-in: sum of the squares of 1..5 = 55",
	"first answer: fast",
	"semaphore: never more than 2 of 6 jobs at once: true",
	"condition variables: 3 consumers took 1..10 through a queue of 2: total 55",
}
