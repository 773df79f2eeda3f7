package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// mapPool applies f to every input on workers goroutines and returns the
// results in input order. Jobs are handed out through an unbuffered channel,
// so at most workers calls of f run at once. The first error cancels the
// context given to the remaining calls and is returned; mapPool returns only
// after every worker has stopped.
func mapPool[In, Out any](ctx context.Context, workers int, inputs []In, f func(context.Context, In) (Out, error)) ([]Out, error) {
	if workers < 1 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		index int
		input In
	}
	jobs := make(chan job)
	results := make([]Out, len(inputs)) // each worker writes only its own indexes
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				out, err := f(ctx, j.input)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue // keep draining so the sender is never stuck
				}
				results[j.index] = out
			}
		})
	}

send:
	for i, in := range inputs {
		select {
		case jobs <- job{index: i, input: in}:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs) // workers' range loops end when the queue is empty
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("worker pool stopped: %w", err)
	}
	return results, nil
}

// countPrimes counts the primes below n by trial division: deliberately
// CPU-bound, so more cores make it faster.
func countPrimes(ctx context.Context, n int) (int, error) {
	count := 0
	for i := 2; i < n; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		prime := true
		for d := 2; d*d <= i; d++ {
			if i%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count, nil
}

func main() {
	workers := flag.Int("workers", runtime.NumCPU(), "goroutines in the pool")
	jobs := flag.Int("jobs", 8, "number of jobs")
	flag.Parse()

	inputs := make([]int, *jobs)
	for i := range inputs {
		inputs[i] = 200_000 + i*10_000
	}
	start := time.Now()
	counts, err := mapPool(context.Background(), *workers, inputs, countPrimes)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for i, n := range inputs {
		fmt.Printf("primes below %d: %d\n", n, counts[i])
	}
	fmt.Printf("%d jobs on %d workers (GOMAXPROCS=%d) took %v\n",
		len(inputs), *workers, runtime.GOMAXPROCS(0), time.Since(start).Round(time.Millisecond))
}
