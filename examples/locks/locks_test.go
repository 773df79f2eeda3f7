package main

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var counterSizes = []struct{ goroutines, increments int }{
	{goroutines: 1, increments: 1000},
	{goroutines: 4, increments: 10_000},
	{goroutines: 16, increments: 2_000},
}

func TestMutexAndAtomicCountExactly(t *testing.T) {
	for _, tt := range counterSizes {
		want := tt.goroutines * tt.increments
		t.Run(fmt.Sprintf("mutex/%dx%d", tt.goroutines, tt.increments), func(t *testing.T) {
			if have := mutexCount(tt.goroutines, tt.increments); have != want {
				t.Errorf("have %d, want %d", have, want)
			}
		})
		t.Run(fmt.Sprintf("atomic/%dx%d", tt.goroutines, tt.increments), func(t *testing.T) {
			if have := atomicCount(tt.goroutines, tt.increments); have != int64(want) {
				t.Errorf("have %d, want %d", have, want)
			}
		})
	}
}

func TestRacyCountNeverExceeds(t *testing.T) {
	if raceEnabled {
		t.Skip("racyCount races on purpose; the race detector would fail this test")
	}
	for _, tt := range counterSizes {
		t.Run(fmt.Sprintf("%dx%d", tt.goroutines, tt.increments), func(t *testing.T) {
			// Lost updates make it smaller; nothing can make it larger.
			want := tt.goroutines * tt.increments
			if have := racyCount(tt.goroutines, tt.increments); have < tt.increments || have > want {
				t.Errorf("have %d, want between %d and %d", have, tt.increments, want)
			}
		})
	}
}

func TestTable(t *testing.T) {
	var tb table
	if _, ok := tb.get("x"); ok {
		t.Fatal("empty table: have a value for x, want none")
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { tb.set(fmt.Sprint(i), i) })
		wg.Go(func() { tb.get(fmt.Sprint(i)) })
	}
	wg.Wait()
	for i := range 50 {
		if have, ok := tb.get(fmt.Sprint(i)); !ok || have != i {
			t.Errorf("get(%d): have %d, %v; want %d, true", i, have, ok, i)
		}
	}
}

func TestOppositeTransfersDoNotDeadlock(t *testing.T) {
	a, b := &account{id: 1, balance: 500}, &account{id: 2, balance: 500}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range 2000 {
			wg.Go(func() { transfer(a, b, 2) })
			wg.Go(func() { transfer(b, a, 1) })
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("transfers did not finish in 10s: deadlock?")
	}
	if a.balance != 500-2000 || b.balance != 500+2000 {
		t.Errorf("have a=%d b=%d, want a=%d b=%d", a.balance, b.balance, 500-2000, 500+2000)
	}
}
