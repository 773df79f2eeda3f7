package main

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// settledGoroutines waits until the number of goroutines is at most want
// (goroutines take a moment to return after their context ends) and returns
// the number it last saw.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPipelineStopsAtItsDeadlineAndLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := sumUntil(ctx, square(ctx, generate(ctx))); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sumUntil error: have %v, want context.DeadlineExceeded", err)
	}
	if n := settledGoroutines(before); n > before {
		t.Errorf("have %d goroutines after the pipeline stopped, want %d: a stage did not return", n, before)
	}
}

func TestSumUntilEndsWithItsInput(t *testing.T) {
	sum, err := sumUntil(context.Background(), fromSlice(1, 2, 3))
	if sum != 6 || err != nil {
		t.Errorf("have %d, %v; want 6, nil", sum, err)
	}
}

func TestMergeDeliversEverything(t *testing.T) {
	tests := []struct {
		name string
		ins  [][]int
		want int
	}{
		{name: "none", ins: nil, want: 0},
		{name: "one", ins: [][]int{{1, 2, 3}}, want: 6},
		{name: "three", ins: [][]int{{1}, {2, 3}, {4, 5, 6}}, want: 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cs []<-chan int
			for _, in := range tt.ins {
				cs = append(cs, fromSlice(in...))
			}
			sum := 0
			for v := range merge(context.Background(), cs...) {
				sum += v
			}
			if sum != tt.want {
				t.Errorf("sum of merged values: have %d, want %d", sum, tt.want)
			}
		})
	}
}

func TestFirstOfLeavesNoGoroutineBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		got := firstOf([]string{"a", "bb", "ccc"}, func(m string) string {
			time.Sleep(time.Duration(len(m)) * time.Millisecond)
			return m
		})
		if got != "a" && got != "bb" && got != "ccc" {
			t.Fatalf("firstOf returned %q, not one of the answers", got)
		}
	}
	if n := settledGoroutines(before); n > before {
		t.Errorf("have %d goroutines after 10 calls, want %d: the slower mirrors are blocked", n, before)
	}
}

func TestLimitedRunsAtMostN(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		var running, most, done atomic.Int64
		jobs := make([]func(), 10)
		for i := range jobs {
			jobs[i] = func() {
				now := running.Add(1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
			}
		}
		limited(n, jobs)
		if done.Load() != 10 {
			t.Errorf("n=%d: limited returned with %d of 10 jobs done", n, done.Load())
		}
		if most.Load() > int64(n) {
			t.Errorf("n=%d: %d jobs ran at once", n, most.Load())
		}
	}
}
