package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// generate sends 1, 2, 3, ... until ctx is done, then closes its channel.
func generate(ctx context.Context) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for i := 1; ; i++ {
			select {
			case out <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// square sends the square of each number from in until in is closed or ctx
// is done, then closes its channel.
func square(ctx context.Context, in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for n := range in {
			select {
			case out <- n * n:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// merge sends every value from cs on one channel, which it closes when all
// of cs are closed or ctx is done.
func merge[T any](ctx context.Context, cs ...<-chan T) <-chan T {
	out := make(chan T)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			for v := range c {
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// sumUntil adds the numbers from in until in is closed or ctx is done, and
// returns ctx.Err(): nil when in ended on its own. (A stage upstream may
// close in because ctx is done; select may see that close first.)
func sumUntil(ctx context.Context, in <-chan int) (int, error) {
	sum := 0
	for {
		select {
		case v, ok := <-in:
			if !ok {
				return sum, ctx.Err()
			}
			sum += v
		case <-ctx.Done():
			return sum, ctx.Err()
		}
	}
}

// firstOf asks every mirror at once (ask stands in for a request) and
// returns the first answer. The channel has room for every answer, so the
// slower goroutines can still send theirs and end: nothing leaks.
func firstOf(mirrors []string, ask func(mirror string) string) string {
	answers := make(chan string, len(mirrors))
	for _, m := range mirrors {
		go func() { answers <- ask(m) }()
	}
	return <-answers
}

// limited runs every job, at most n at a time, and returns when all are
// done. A buffered channel of capacity n is the semaphore: sending a token
// takes a place, receiving it gives the place back.
func limited(n int, jobs []func()) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, job := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			job()
		})
	}
	wg.Wait()
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	sum, err := sumUntil(ctx, square(ctx, generate(ctx)))
	cancel()
	fmt.Printf("pipeline: stopped by its deadline (%v) (sum so far %d)\n", err, sum)

	ctx = context.Background()
	total := 0
	for v := range merge(ctx, square(ctx, fromSlice(1, 2, 3)), square(ctx, fromSlice(4, 5))) {
		total += v
	}
	fmt.Println("fan-in: sum of the squares of 1..5 =", total)

	answer := firstOf([]string{"slow", "fast"}, func(m string) string {
		if m == "slow" {
			time.Sleep(200 * time.Millisecond)
		}
		return m
	})
	fmt.Println("first answer:", answer)

	var running, most atomic.Int64
	jobs := make([]func(), 6)
	for i := range jobs {
		jobs[i] = func() {
			now := running.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
		}
	}
	limited(2, jobs)
	fmt.Println("semaphore: never more than 2 of 6 jobs at once:", most.Load() <= 2)

	q := NewBoundedQueue(2)
	totals := make([]int, 3)
	var wg sync.WaitGroup
	for i := range totals {
		wg.Go(func() {
			for v, ok := q.Get(); ok; v, ok = q.Get() {
				totals[i] += v // each consumer adds to its own element
			}
		})
	}
	for n := 1; n <= 10; n++ {
		q.Put(n) // waits while two items are queued
	}
	q.Close()
	wg.Wait()
	fmt.Println("condition variables: 3 consumers took 1..10 through a queue of 2: total", totals[0]+totals[1]+totals[2])
}

// fromSlice sends vs and closes its channel.
func fromSlice(vs ...int) <-chan int {
	out := make(chan int, len(vs))
	for _, v := range vs {
		out <- v
	}
	close(out)
	return out
}
