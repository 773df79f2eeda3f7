// Command coordinating is lesson 7 of the course as a plain program:
// goroutines coordinated the Go way, by communicating.
//
//   - a pipeline (generate, square) whose stages stop when their context is
//     cancelled or its deadline passes, and merge, the fan-in of several
//     channels into one;
//   - sumUntil, which stops at the end of its input or of its context;
//   - firstOf, which asks several mirrors and returns the first answer
//     without leaving the slower goroutines blocked (the lesson's leak, fixed);
//   - limited, which runs jobs at most n at a time with a buffered channel
//     as a semaphore;
//   - BoundedQueue, a queue of limited size built on sync.Cond, the way
//     Python's queue.Queue is built on threading.Condition.
//
// Run it with
//
//	go run ./examples/coordinating
//
// Files:
//   - main.go: the functions above and main.
//   - boundedqueue.go: BoundedQueue.
//   - boundedqueue_test.go: Put waits while full, Close wakes every waiter
//     and lets Gets drain, many producers and consumers lose nothing.
//   - coordinating_test.go: the pipeline stops at its deadline and leaves
//     no goroutine behind, merge delivers everything, sumUntil returns
//     ctx.Err(), firstOf leaks nothing, limited never exceeds n.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
