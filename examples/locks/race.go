//go:build race

package main

// raceEnabled is true when the program is built with -race; main then skips
// the racy counter's run, which the detector would report.
const raceEnabled = true
