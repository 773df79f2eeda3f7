//go:build !race

package main

// raceEnabled is true when the program is built with -race.
const raceEnabled = false
