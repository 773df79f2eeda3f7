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
	"primes below 200000: 17984",
	"primes below 270000: 23642",
	"8 jobs on",
}
