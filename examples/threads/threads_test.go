package main

import (
	"fmt"
	"runtime"
	"testing"
)

func TestRunWorkers(t *testing.T) {
	tests := []struct{ workers, times int }{
		{workers: 1, times: 5},
		{workers: 2, times: 5}, // the article's t1 and t2
		{workers: 8, times: 100},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.workers, tt.times), func(t *testing.T) {
			lines := runWorkers(tt.workers, tt.times)
			if have, want := len(lines), tt.workers*tt.times; have != want {
				t.Fatalf("have %d lines, want %d (join returned before a worker finished?)", have, want)
			}
			// Workers interleave, but each worker's own lines keep their order.
			next := map[int]int{}
			for _, line := range lines {
				var w, i int
				if _, err := fmt.Sscanf(line, "worker %d: Hello World! (%d)", &w, &i); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				next[w]++
				if i != next[w] {
					t.Errorf("worker %d: have line %d, want %d", w, i, next[w])
				}
			}
			if have, want := len(next), tt.workers; have != want {
				t.Errorf("have lines from %d workers, want %d", have, want)
			}
		})
	}
}

func TestParkedGoroutinesShareThreads(t *testing.T) {
	const n = 5000
	release := make(chan struct{})
	before := runtime.NumGoroutine()
	done := parkMany(n, release)
	if have := runtime.NumGoroutine() - before; have < n {
		t.Errorf("have %d new goroutines, want at least %d", have, n)
	}
	threads, ok := osThreads()
	close(release)
	done.Wait()
	if !ok {
		t.Skip("no /proc/self/status on this system: cannot count OS threads")
	}
	// A goroutine blocked on a channel holds no thread; the runtime needs
	// about GOMAXPROCS threads plus a few for system work.
	if limit := runtime.GOMAXPROCS(0) + 50; threads > limit {
		t.Errorf("have %d OS threads for %d parked goroutines, want at most %d", threads, n, limit)
	}
}
