// Command workerpool runs many jobs on a fixed number of goroutines fed by a
// channel: the Go shape of Python's multiprocessing.Pool / a thread pool, and
// the answer to "how many goroutines should I start?" when each job needs a
// scarce resource (a CPU core, a connection).
//
// Run it with
//
//	go run ./examples/workerpool
//	go run ./examples/workerpool -workers 1   # compare the time
//
// Files:
//   - main.go: mapPool (run f over inputs on n workers, results in input
//     order, stop at the first error or when ctx ends), countPrimes (a
//     CPU-bound job), main.
//   - workerpool_test.go: results equal a sequential run, at most n jobs at
//     once, the first error cancels the rest, no goroutine left behind.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
