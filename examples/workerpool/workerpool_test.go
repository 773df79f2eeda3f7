package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestMapPoolMatchesSequential(t *testing.T) {
	inputs := []int{10, 100, 1000, 7919, 7920, 2, 3}
	var want []int
	for _, n := range inputs {
		c, _ := countPrimes(context.Background(), n)
		want = append(want, c)
	}
	if want[2] != 168 { // known value: 168 primes below 1000
		t.Fatalf("countPrimes(1000): have %d, want 168", want[2])
	}
	for _, workers := range []int{0, 1, 3, 16} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			have, err := mapPool(context.Background(), workers, inputs, countPrimes)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(have, want) {
				t.Errorf("have %v, want %v", have, want)
			}
		})
	}
}

func TestMapPoolBoundsConcurrency(t *testing.T) {
	const workers = 3
	var running, peak atomic.Int32
	slow := func(ctx context.Context, x int) (int, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return x, nil
	}
	if _, err := mapPool(context.Background(), workers, make([]int, 30), slow); err != nil {
		t.Fatal(err)
	}
	if have := peak.Load(); have > workers || have < 2 {
		t.Errorf("peak concurrent jobs: have %d, want between 2 and %d", have, workers)
	}
}

func TestMapPoolStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	f := func(ctx context.Context, x int) (int, error) {
		calls.Add(1)
		if x == 3 {
			return 0, boom
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
			return x, nil
		}
	}
	inputs := make([]int, 100)
	for i := range inputs {
		inputs[i] = i
	}
	_, err := mapPool(context.Background(), 2, inputs, f)
	if !errors.Is(err, boom) {
		t.Fatalf("have error %v, want %v", err, boom)
	}
	if have := calls.Load(); have >= int32(len(inputs)) {
		t.Errorf("have %d calls, want fewer than %d: the error should stop the pool", have, len(inputs))
	}
}

func TestMapPoolLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // already cancelled: nothing runs, and still nothing leaks
	if _, err := mapPool(ctx, 4, []int{1, 2, 3}, countPrimes); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled pool: have error %v, want context.Canceled", err)
	}
	if _, err := mapPool(context.Background(), 4, []int{1000, 2000}, countPrimes); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if have := runtime.NumGoroutine(); have > before {
		t.Errorf("have %d goroutines after the pools returned, want %d", have, before)
	}
}
