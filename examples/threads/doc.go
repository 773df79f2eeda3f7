// Command threads is the Go version of the source article's threading
// examples (§3.1.1 and §4.1): start workers with the go statement and wait for
// them with sync.WaitGroup, the counterpart of Thread.start and Thread.join.
//
// It also shows that goroutines are not OS threads: ten thousand blocked
// goroutines run on a handful of threads.
//
// Run it with
//
//	go run ./examples/threads
//
// Files:
//   - main.go: sayHello (one worker), runWorkers (start + join), parkMany and
//     osThreads (goroutines vs OS threads), main.
//   - threads_test.go: checks every worker said everything, in order, and that
//     parked goroutines do not each take a thread.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
