package main

import (
	"errors"
	"fmt"
	"time"
)

// producer is the article's print_func(q): it puts n greetings on q. It
// waits startDelay first, standing in for the time a new process takes to
// start, and closes q when done so consumers know nothing more will come.
func producer(q chan<- string, n int, startDelay time.Duration) {
	time.Sleep(startDelay)
	for i := range n {
		q <- fmt.Sprintf("Hello World! (%d)", i+1)
	}
	close(q)
}

// drainWhileNotEmpty is the article's consumer: it reads while the queue
// holds something. len(q) is a snapshot that is stale as soon as it is
// read, so the loop stops at the first moment the queue happens to be empty,
// which is usually before the producer has started.
func drainWhileNotEmpty(q <-chan string) []string {
	var got []string
	for len(q) > 0 { // q.empty() -- WRONG as a "finished" test
		got = append(got, <-q)
	}
	return got
}

// drainUntilClosed is the fix: receive until the producer closes the
// channel. It blocks while the queue is empty and the producer is still
// running.
func drainUntilClosed(q <-chan string) []string {
	var got []string
	for item := range q {
		got = append(got, item)
	}
	return got
}

// errTimeout is returned by getWithTimeout when nothing arrives in time.
var errTimeout = errors.New("queue: nothing received before the timeout")

// errClosed is returned by getWithTimeout when the queue is closed and empty.
var errClosed = errors.New("queue: closed")

// getWithTimeout is Python's q.get(timeout=d): the next item, or errTimeout.
func getWithTimeout(q <-chan string, d time.Duration) (string, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case item, ok := <-q:
		if !ok {
			return "", errClosed
		}
		return item, nil
	case <-timer.C:
		return "", errTimeout
	}
}

// pipeline connects three stages with channels: generate 1..n, square each
// number, collect. Each stage closes its output when its input is exhausted,
// so the end of the data flows down the pipeline.
func pipeline(n int) []int {
	numbers := make(chan int)
	squares := make(chan int)
	go func() {
		defer close(numbers)
		for i := 1; i <= n; i++ {
			numbers <- i
		}
	}()
	go func() {
		defer close(squares)
		for x := range numbers {
			squares <- x * x
		}
	}()
	var out []int
	for s := range squares {
		out = append(out, s)
	}
	return out
}

func main() {
	const n = 5
	startDelay := 10 * time.Millisecond

	q := make(chan string, n) // buffered, like a Queue: put does not wait for get
	go producer(q, n, startDelay)
	got := drainWhileNotEmpty(q)
	fmt.Printf("the article's loop (while not q.empty()): %d of %d items\n", len(got), n)
	for range q { // let the producer finish before moving on
	}

	q = make(chan string, n)
	go producer(q, n, startDelay)
	for _, item := range drainUntilClosed(q) {
		fmt.Println(item)
	}
	fmt.Printf("the fix (range until closed): all %d items\n", n)

	_, err := getWithTimeout(make(chan string), 20*time.Millisecond)
	fmt.Println("get with timeout on a queue nobody fills:", err)

	fmt.Println("pipeline:", pipeline(5))
}
