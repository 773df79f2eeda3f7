// Command queues is the Go version of the source article's Queue example
// (§3.2.2), with the article's bug and its fix.
//
// The article starts a producer and then reads with
//
//	while not q.empty():
//	    print(q.get())
//
// The check runs before the producer has put anything (a new process takes
// milliseconds to start), so the loop usually ends at once and prints nothing.
// "Empty right now" does not mean "finished". drainWhileNotEmpty reproduces
// that with a channel; drainUntilClosed is the fix: the producer closes the
// channel when it is done, and the consumer ranges until then.
//
// Run it with
//
//	go run ./examples/queues
//
// Files:
//   - main.go: producer, drainWhileNotEmpty (the bug), drainUntilClosed
//     (the fix), getWithTimeout (q.get(timeout=...)), pipeline, main.
//   - queues_test.go: the bug loses items, the fix gets all of them in
//     order, the timeout fires, the pipeline squares every number.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
