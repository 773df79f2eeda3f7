package main

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestArticleLoopMissesItemsAndFixGetsAll(t *testing.T) {
	tests := []struct {
		name  string
		drain func(<-chan string) []string
		// wantAll: the drain must return every item, in order.
		wantAll bool
	}{
		{name: "while not q.empty()", drain: drainWhileNotEmpty, wantAll: false},
		{name: "range until closed", drain: drainUntilClosed, wantAll: true},
	}
	const n = 5
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("Hello World! (%d)", i+1))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := make(chan string, n)
			done := make(chan struct{})
			go func() {
				defer close(done)
				producer(q, n, 50*time.Millisecond)
			}()
			got := tt.drain(q)
			for range q { // drain the rest so the producer can finish
			}
			<-done
			if tt.wantAll && !slices.Equal(got, want) {
				t.Errorf("have %q, want %q", got, want)
			}
			if !tt.wantAll && len(got) >= n {
				t.Errorf("have all %d items; want fewer: the check ran before the producer started", len(got))
			}
		})
	}
}

func TestGetWithTimeout(t *testing.T) {
	full := make(chan string, 1)
	full <- "x"
	closed := make(chan string)
	close(closed)
	tests := []struct {
		name     string
		q        chan string
		wantItem string
		wantErr  error
	}{
		{name: "item waiting", q: full, wantItem: "x"},
		{name: "nobody sends", q: make(chan string), wantErr: errTimeout},
		{name: "closed", q: closed, wantErr: errClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			item, err := getWithTimeout(tt.q, 30*time.Millisecond)
			if item != tt.wantItem || !errors.Is(err, tt.wantErr) {
				t.Errorf("have %q, %v; want %q, %v", item, err, tt.wantItem, tt.wantErr)
			}
			if tt.wantErr == errTimeout && time.Since(start) < 30*time.Millisecond {
				t.Errorf("timed out after %v, want at least 30ms", time.Since(start))
			}
		})
	}
}

func TestPipeline(t *testing.T) {
	if have, want := pipeline(6), []int{1, 4, 9, 16, 25, 36}; !slices.Equal(have, want) {
		t.Errorf("have %v, want %v", have, want)
	}
	if have := pipeline(0); len(have) != 0 {
		t.Errorf("pipeline(0): have %v, want nothing", have)
	}
}
